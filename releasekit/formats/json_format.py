"""JSON: one object, the public schema documented in the README."""

from __future__ import annotations

import json

from releasekit.formats import formatter
from releasekit.report import Report


@formatter("json")
def render_json(report: Report, color: bool) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
