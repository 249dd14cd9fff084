"""Credential detection for `releasekit check`: the pattern table, near-miss filters, notebook
text extraction and redaction helpers. Pure library code: it reads nothing by itself except
through `textfiles.read_text_file`, and never prints.
"""

from releasekit.secrets.redact import preview, scrub_candidates
from releasekit.secrets.scanner import SecretMatch, find_secrets

__all__ = ["SecretMatch", "find_secrets", "preview", "scrub_candidates"]
