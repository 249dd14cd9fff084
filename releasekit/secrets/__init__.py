"""Credential detection for `releasekit check`: the pattern table, near-miss filters, notebook
text extraction and redaction helpers. Pure library code: it reads nothing by itself except
through `textfiles.read_text_file`, and never prints.

Names load on first use (PEP 562): every run redacts its report through `secrets.redact` (before
the weights checks fork off, see lanes.py), which must not pay for the detector table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from releasekit import lazy

_EXPORTS = {"preview": "redact", "scrub_candidates": "redact", "SecretMatch": "scanner", "find_secrets": "scanner"}

__all__ = ["SecretMatch", "find_secrets", "preview", "scrub_candidates"]

if TYPE_CHECKING:
    from releasekit.secrets.redact import preview, scrub_candidates
    from releasekit.secrets.scanner import SecretMatch, find_secrets

__getattr__ = lazy.exports(__name__, {name: f"{__name__}.{module}" for name, module in _EXPORTS.items()})
