"""Safeguard Auditor: audit storage and encryption safeguards across cloud providers."""

__version__ = "0.1.0"
