#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume.
#
# Ledger hygiene (deploy/README.md): the migrations run as the owner of the tables
# ($POSTGRES_USER); the web app, the gateway and Celery connect as modelgate_app, which may
# read and write rows but owns nothing, so it can neither drop the ledger's append-only
# trigger nor TRUNCATE a table.
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$MODELGATE_DB_PASSWORD" -v owner="$POSTGRES_USER" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE modelgate_app LOGIN PASSWORD :'app_password';
GRANT CONNECT ON DATABASE :"db" TO modelgate_app;
GRANT USAGE ON SCHEMA public TO modelgate_app;
-- Every table and sequence the owner creates from now on (that is, every migration).
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO modelgate_app;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO modelgate_app;
SQL
