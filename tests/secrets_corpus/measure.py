"""Print the per-provider table of docs/secrets-hygiene.md: releasekit beside detect-secrets.

Run: `.venv/bin/python tests/secrets_corpus/measure.py` (detect-secrets, if installed, is run on
the same cases with its default plugins; it is a measurement aid, not a dependency).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from releasekit.secrets import find_secrets  # noqa: E402
from tests.secrets_corpus import cases, measure  # noqa: E402


_GENERIC = frozenset({"Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String"})


def _detect_secrets(*, provider_plugins_only: bool = False) -> object | None:
    """detect-secrets' default plugins on each line (or only its provider plugins, not the
    keyword and entropy ones, which fire on anything random next to the word `token`)."""
    try:
        from detect_secrets.core.scan import scan_line
        from detect_secrets.settings import default_settings
    except ImportError:
        return None

    def detect(text: str) -> bool:
        with default_settings():
            return any(not (provider_plugins_only and found.type in _GENERIC)
                       for line in text.splitlines() for found in scan_line(line))

    return detect


def main() -> None:
    corpus = cases()
    ours = measure(lambda text: bool(find_secrets(text)), corpus)
    other, narrow = _detect_secrets(), _detect_secrets(provider_plugins_only=True)
    theirs = measure(other, corpus) if other else None  # type: ignore[arg-type]
    plugins = measure(narrow, corpus) if narrow else None  # type: ignore[arg-type]
    head = "| Provider | releasekit found | releasekit false alarms |"
    print(head + (" detect-secrets found | detect-secrets false alarms | detect-secrets provider plugins: found |"
                  " false alarms |" if theirs else ""))
    print("| --- | --- | --- |" + (" --- | --- | --- | --- |" if theirs else ""))
    totals = [0, 0, 0, 0, 0, 0, 0, 0]
    for provider, row in ours.items():
        line = f"| {provider} | {row.found} / {row.positives} | {row.false_alarms} / {row.negatives} |"
        totals[:4] = [totals[0] + row.found, totals[1] + row.positives, totals[2] + row.false_alarms,
                      totals[3] + row.negatives]
        if theirs:
            t = theirs[provider]
            n = plugins[provider]  # type: ignore[index]
            line += (f" {t.found} / {t.positives} | {t.false_alarms} / {t.negatives} |"
                     f" {n.found} / {n.positives} | {n.false_alarms} / {n.negatives} |")
            totals[4:] = [totals[4] + t.found, totals[5] + t.false_alarms, totals[6] + n.found,
                          totals[7] + n.false_alarms]
        print(line)
    last = f"| **all** | {totals[0]} / {totals[1]} | {totals[2]} / {totals[3]} |"
    if theirs:
        last += (f" {totals[4]} / {totals[1]} | {totals[5]} / {totals[3]} |"
                 f" {totals[6]} / {totals[1]} | {totals[7]} / {totals[3]} |")
    print(last)


if __name__ == "__main__":
    main()
