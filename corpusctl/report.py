"""report.html: a self-contained report with plots (issue #9)."""

from __future__ import annotations

from corpusctl.config import StageSection


class ReportConfig(StageSection):
    pass
