"""Provider adapters. Each is registered through the ``auditor.providers`` entry-point group."""
