"""EU AI Act risk classification: answers (answers.py), tables (tables.yaml, tables.py), engine (engine.py)."""
