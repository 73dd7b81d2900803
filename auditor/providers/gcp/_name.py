"""The provider name of this adapter, defined once (no SDK import)."""

PROVIDER = "gcp"
