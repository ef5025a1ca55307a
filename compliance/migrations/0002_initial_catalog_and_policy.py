"""Load the license catalog and the default organization policy.

The catalog rows are a copy of the reviewed files (``sync_license_catalog`` refreshes
them at every deploy, with an audit event). The default rules are a starting point that
compliance officers change in the admin, audited from then on.
"""

from django.db import migrations

DEFAULT_RULES = [
    ("Non-commercial licenses are never used in production", "category", "non_commercial", "production", "deny", "",
     "Non-commercial terms exclude the commercial use a production deployment is."),
    ("Research-only licenses are never used in production", "category", "research_only", "production", "deny", "",
     "Research licenses grant no production rights."),
    ("Source-available AI licenses need a legal sign-off", "category", "source_available_ai", "any", "require_signoff",
     "approver_legal", "Thresholds, naming, attribution and use restrictions need a lawyer's reading."),
    ("Proprietary licenses need a legal sign-off", "category", "proprietary", "any", "require_signoff",
     "approver_legal", "No rights are assumed without a reviewed agreement."),
    ("AGPL-3.0-only needs a security sign-off", "license", "AGPL-3.0-only", "any", "require_signoff",
     "approver_security", "Network copyleft: modified code served over the network must be offered as source."),
    ("AGPL-3.0-or-later needs a security sign-off", "license", "AGPL-3.0-or-later", "any", "require_signoff",
     "approver_security", "Network copyleft: modified code served over the network must be offered as source."),
]


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    from compliance.licenses.catalog import load_catalog
    from compliance.services import _entry_row

    CatalogLicense = apps.get_model("compliance", "CatalogLicense")
    CatalogLicense.objects.bulk_create(
        [CatalogLicense(id=license_id, **_entry_row(entry)) for license_id, entry in load_catalog().licenses.items()],
        batch_size=500,
    )
    Rule = apps.get_model("compliance", "LicensePolicyRule")
    for name, kind, value, environment, effect, role, reason in DEFAULT_RULES:
        Rule.objects.get_or_create(name=name, defaults={
            "match_kind": kind, "match_value": value, "environment": environment, "effect": effect,
            "signoff_role": role, "reason": reason,
        })


def unload(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("compliance", "CatalogLicense").objects.all().delete()
    apps.get_model("compliance", "LicensePolicyRule").objects.filter(name__in=[r[0] for r in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
