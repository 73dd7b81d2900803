"""Every shipped check carries CSA CCM v4 ids that exist and fit its safeguard; the docs table
says the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.checks import load_checks

# The CCM v4.0.12 controls the checks cite (id -> title, from CSA's control list).
CCM_V4 = {
    "BCR-08": "Backup", "BCR-11": "Equipment Redundancy",
    "CCC-04": "Unauthorized Change Protection", "CEK-03": "Data Encryption",
    "CEK-08": "CSC Key Management Capability", "CEK-10": "Key Generation",
    "CEK-12": "Key Rotation", "DSP-03": "Data Inventory", "DSP-10": "Sensitive Data Transfer",
    "DSP-16": "Data Retention and Deletion", "DSP-17": "Sensitive Data Protection",
    "DSP-19": "Data Location", "IAM-05": "Least Privilege", "IAM-14": "Strong Authentication",
    "IAM-16": "Authorization Mechanisms", "IVS-03": "Network Security",
    "LOG-07": "Logging Scope", "LOG-08": "Log Records",
}
# A safeguard's defining control: every check of that safeguard cites it.
BY_SAFEGUARD = {"encryption_at_rest": "CEK-03", "key_rotation": "CEK-12",
                "data_residency": "DSP-19", "legal_reach": "DSP-19", "tls_enforced": "CEK-03",
                "backup": "BCR-08",
                "access_logging": "LOG-08", "public_exposure": "IAM-16"}
CHECKS = load_checks()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_every_check_cites_known_ccm_ids_fitting_its_safeguard(check):
    assert check.ccm, f"{check.id} has no CCM ids"
    assert set(check.ccm) <= set(CCM_V4)
    if check.safeguard in BY_SAFEGUARD:
        assert BY_SAFEGUARD[check.safeguard] in check.ccm


def test_docs_table_matches_the_checks():
    text = (Path(__file__).parents[2] / "docs" / "compliance.md").read_text()
    for check in CHECKS:
        assert f"| `{check.id}` | {', '.join(check.ccm)} |" in text, check.id
    prose = " ".join(text.split())  # titles may wrap across lines
    for control, title in CCM_V4.items():
        assert f"{control} {title}" in prose, control
