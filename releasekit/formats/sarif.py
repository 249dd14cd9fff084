"""SARIF 2.1.0 for GitHub code scanning.

Every registered rule is listed in the driver (with its documentation as help text), results
point at the file and line, and `partialFingerprints` carry the line-free fingerprint so code
scanning can track a finding across commits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from releasekit import __version__
from releasekit.findings import Severity
from releasekit.formats import formatter
from releasekit.registry import all_rules
from releasekit.report import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


@formatter("sarif")
def render_sarif(report: Report, color: bool) -> str:
    rules = all_rules()
    index = {r.id: i for i, r in enumerate(rules)}
    driver_rules = [
        {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.doc},
            "help": {"text": r.doc},
            "defaultConfiguration": {"level": _LEVEL[r.severity]},
            "properties": {"category": r.category},
        }
        for r in rules
    ]
    results: list[dict[str, Any]] = []
    for f in report.findings:
        location: dict[str, Any] = {
            "physicalLocation": {"artifactLocation": {"uri": quote(f.path), "uriBaseId": "RELEASEROOT"}}
        }
        if f.line:
            location["physicalLocation"]["region"] = {"startLine": f.line}
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [location],
            "partialFingerprints": {"releasekit/v1": f.fingerprint()},
            "properties": {"category": f.category},
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "releasekit",
                        "version": __version__,
                        "informationUri": "https://github.com/releasekit/releasekit",
                        "rules": driver_rules,
                    }
                },
                "originalUriBaseIds": {"RELEASEROOT": {"uri": Path(report.root).as_uri() + "/"}},
                "results": results,
                "properties": {"summary": report.summary(), "sections": {n: s.data for n, s in report.sections.items()}},
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
