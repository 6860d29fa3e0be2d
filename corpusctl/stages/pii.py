"""Privacy scrub of Chinese personal data (issue #11)."""

from __future__ import annotations

from typing import Literal

from corpusctl.config import PROJECT_ROOT, RecipePath, StageSection

PiiType = Literal["id_card", "mobile", "landline", "email", "bank_card", "person", "ip"]


class PiiConfig(StageSection):
    types: list[PiiType] = ["id_card", "mobile", "landline", "email", "bank_card", "person"]
    replacement: str = "[{TYPE}]"
    roles: RecipePath = PROJECT_ROOT / "lexicons" / "pii_roles.txt"
