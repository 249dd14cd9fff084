"""SPDX expressions and what kind of license each id is.

Expressions are parsed by `license-expression` (nexB/aboutcode), which knows every SPDX id, their
old spellings (`GPL-2.0` -> `GPL-2.0-only`) and `AND`/`OR`/`WITH`. The kind of each license
(permissive, copyleft, weak copyleft, proprietary-free ...) comes from the ScanCode LicenseDB index
that package ships. Whether a license is OSI-approved or FSF-libre comes from the SPDX license
list (`data/spdx_license_flags-*.json`, dated, with its source).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

from releasekit import datafiles


SPDX_FLAGS_FILE = "spdx_license_flags-2024-05.json"

# Our own kinds, from ScanCode's categories.
PERMISSIVE = "permissive"
WEAK_COPYLEFT = "weak-copyleft"
COPYLEFT = "copyleft"
RESTRICTED = "restricted"  # free to get, not free to use: non-commercial, field-of-use, model licenses
UNKNOWN = "unknown"
_KINDS = {
    "Permissive": PERMISSIVE,
    "Public Domain": PERMISSIVE,
    "Copyleft Limited": WEAK_COPYLEFT,
    "Copyleft": COPYLEFT,
    "Proprietary Free": RESTRICTED,
    "Source-available": RESTRICTED,
    "Free Restricted": RESTRICTED,
    "Commercial": RESTRICTED,
    "Patent License": UNKNOWN,
    "CLA": UNKNOWN,
    "Unstated License": UNKNOWN,
}
# LicenseRef ids we give to the Hub's model licenses (see hub.to_spdx and identify._TITLES).
_MODEL_LICENSES = {
    "llama2",
    "llama3",
    "llama3.1",
    "llama3.2",
    "llama3.3",
    "llama4",
    "gemma",
    "deepseek-license",
    "grok2-community",
    "creativeml-openrail-m",
    "bigscience-openrail-m",
    "bigcode-openrail-m",
    "bigscience-bloom-rail-1.0",
    "openrail",
    "openrail++",
    "fair-noncommercial-research-license",
    "deepfloyd-if-license",
    "qwen",
    "qwen-research",
    "h-research",
    "intel-research",
    "apple-amlr",
}
_OPEN_EXTRA = {"OpenMDW-1.0": PERMISSIVE, "OpenMDW-1.1": PERMISSIVE}


@functools.cache
def licensing() -> Any:
    from license_expression import get_spdx_licensing  # ~5 ms to import: not needed for a plain id

    return get_spdx_licensing()


@dataclasses.dataclass(frozen=True)
class ParsedExpression:
    text: str
    normalized: str | None  # None when it does not parse
    error: str | None
    unknown_ids: tuple[str, ...] = ()


# Ids that license-expression parses to themselves, with the kind ScanCode's index gives each (a
# test checks both through license-expression): an expression that is exactly one of them is
# valid as it stands, so `check` builds neither license-expression's licensing object (~40 ms)
# nor its license index (~10 ms) for the usual `MIT` or `Apache-2.0`.
PLAIN_KINDS = {
    "0BSD": PERMISSIVE, "Apache-2.0": PERMISSIVE, "BSD-2-Clause": PERMISSIVE, "BSD-3-Clause": PERMISSIVE,
    "BSL-1.0": PERMISSIVE, "CC-BY-4.0": PERMISSIVE, "CC0-1.0": PERMISSIVE, "ISC": PERMISSIVE, "MIT": PERMISSIVE,
    "MIT-0": PERMISSIVE, "PSF-2.0": PERMISSIVE, "Python-2.0": PERMISSIVE, "Unlicense": PERMISSIVE, "Zlib": PERMISSIVE,
    "CC-BY-SA-4.0": WEAK_COPYLEFT, "EPL-2.0": WEAK_COPYLEFT, "MPL-2.0": WEAK_COPYLEFT, "LGPL-2.1-only": WEAK_COPYLEFT,
    "LGPL-2.1-or-later": WEAK_COPYLEFT, "LGPL-3.0-only": WEAK_COPYLEFT, "LGPL-3.0-or-later": WEAK_COPYLEFT,
    "GPL-2.0-only": COPYLEFT, "GPL-2.0-or-later": COPYLEFT, "GPL-3.0-only": COPYLEFT, "GPL-3.0-or-later": COPYLEFT,
    "AGPL-3.0-only": COPYLEFT, "AGPL-3.0-or-later": COPYLEFT,
    "CC-BY-NC-4.0": RESTRICTED, "CC-BY-NC-SA-4.0": RESTRICTED,
}
PLAIN_IDS = frozenset(PLAIN_KINDS)


def parse(expression: str) -> ParsedExpression:
    """Validate an SPDX license expression; `LicenseRef-*` ids are allowed (SPDX says so)."""
    if expression in PLAIN_IDS:
        return ParsedExpression(expression, expression, None)
    return parse_with_licensing(expression)


def parse_with_licensing(expression: str) -> ParsedExpression:
    """`parse` through license-expression, whatever the expression."""
    if not expression.strip():
        return ParsedExpression(expression, None, "empty SPDX expression")
    try:
        info = licensing().validate(expression)
    except Exception as exc:  # noqa: BLE001 - license-expression fails on some inputs ("MIT OR") with its own bugs
        return ParsedExpression(expression, None, f"not a valid SPDX expression ({_reason(exc)})")
    if "" in info.invalid_symbols or (info.errors and not info.invalid_symbols):
        return ParsedExpression(expression, None, "not a valid SPDX expression")
    unknown = tuple(s for s in info.invalid_symbols if not _is_ref(s))
    if unknown:
        return ParsedExpression(expression, None, f"unknown SPDX id(s) {', '.join(unknown)}", unknown)
    try:
        normalized = str(licensing().parse(expression))
    except Exception as exc:  # noqa: BLE001 - as above
        return ParsedExpression(expression, None, f"not a valid SPDX expression ({_reason(exc)})")
    return ParsedExpression(expression, normalized, None)


def _reason(exc: Exception) -> str:
    from license_expression import ExpressionError

    if isinstance(exc, ExpressionError) and str(exc).strip():
        return " ".join(str(exc).split())[:120]
    return "an operator without a license on one side, or a stray symbol"


def is_model_license_ref(license_id: str) -> bool:
    """A `LicenseRef-` we give to a model license the SPDX list does not carry (Llama, Qwen ...)."""
    return license_id.startswith("LicenseRef-") and license_id[len("LicenseRef-") :] in _MODEL_LICENSES


def _is_ref(symbol: str) -> bool:
    return symbol.startswith(("LicenseRef-", "DocumentRef-"))


@functools.cache
def _scancode_index() -> dict[str, str]:
    from license_expression import get_license_index

    index: dict[str, str] = {}
    for entry in get_license_index():
        for key in [entry.get("spdx_license_key"), *entry.get("other_spdx_license_keys", [])]:
            if key and entry.get("category"):
                index.setdefault(key, entry["category"])
    return index


@functools.cache
def spdx_flags() -> dict[str, dict[str, bool]]:
    raw = json.loads(datafiles.read_text(SPDX_FLAGS_FILE))
    return raw["licenses"]  # type: ignore[no-any-return]


def kind_of_id(license_id: str) -> str:
    """The kind of one license id (not an expression)."""
    if license_id in PLAIN_KINDS:
        return PLAIN_KINDS[license_id]
    return kind_from_index(license_id)


def kind_from_index(license_id: str) -> str:
    """`kind_of_id` from ScanCode's index, whatever the id."""
    if license_id in _OPEN_EXTRA:
        return _OPEN_EXTRA[license_id]
    if license_id.startswith("LicenseRef-"):
        name = license_id[len("LicenseRef-") :]
        if name in _MODEL_LICENSES:
            return RESTRICTED
        category = _scancode_index().get(license_id)
        return _KINDS.get(category, UNKNOWN) if category else UNKNOWN
    category = _scancode_index().get(license_id)
    if category is None:
        try:
            category = _scancode_index().get(str(licensing().parse(license_id)))
        except Exception:  # noqa: BLE001
            category = None
    return _KINDS.get(category, UNKNOWN) if category else UNKNOWN


def is_osi(license_id: str) -> bool:
    return spdx_flags().get(license_id, {}).get("osi", False)


def is_fsf(license_id: str) -> bool:
    return spdx_flags().get(license_id, {}).get("fsf", False)


def leaves(expression: str) -> list[list[str]]:
    """The expression in disjunctive normal form: a list of alternatives, each a list of ids
    that all apply. `MIT OR (GPL-2.0-only AND BSD-3-Clause)` -> [[MIT], [GPL-2.0-only, BSD-3-Clause]].

    `X WITH exception` stays `X` (the exception only ever relaxes X). Unparseable -> [[expression]].
    """
    if expression in PLAIN_IDS:
        return [[expression]]
    try:
        tree = licensing().parse(expression)
    except Exception:  # noqa: BLE001 - an expression that does not parse stays one opaque id
        return [[expression]]
    if tree is None:
        return []
    return _dnf(tree)


def _dnf(node: Any) -> list[list[str]]:
    from license_expression import AND, OR, LicenseSymbol, LicenseWithExceptionSymbol

    if isinstance(node, LicenseWithExceptionSymbol):
        return [[node.license_symbol.key]]
    if isinstance(node, LicenseSymbol):
        return [[node.key]]
    if isinstance(node, OR):
        return [alt for arg in node.args for alt in _dnf(arg)]
    if isinstance(node, AND):
        result: list[list[str]] = [[]]
        for arg in node.args:
            result = [left + right for left in result for right in _dnf(arg)]
        return result
    return [[str(node)]]
