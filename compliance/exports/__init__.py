"""Documentation exports: EU AI Act technical documentation, model cards, AI-BOMs and evidence bundles."""
