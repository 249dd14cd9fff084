"""JSON: one object, the public schema documented in docs/check.md.

`json.dumps` escapes every control character, so release text cannot break the document or
start a line of its own.
"""

from __future__ import annotations

import json

from releasekit.formats.registry import RenderOptions, formatter
from releasekit.formats.escape import json_safe
from releasekit.report import Report


@formatter("json")
def render_json(report: Report, options: RenderOptions) -> str:
    return json_safe(json.dumps(report.to_dict(), indent=2, ensure_ascii=False)) + "\n"
