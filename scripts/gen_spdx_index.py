"""Write the SPDX texts' word index (`releasekit/data/spdx_license_index-*.json`) from the snapshot.

Run after changing the snapshot, the marked-up texts or the tokeniser (a test fails until then):

    .venv/bin/python scripts/gen_spdx_index.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from releasekit.licenses import spdxindex, spdxlist

DATA = Path(__file__).resolve().parent.parent / "releasekit" / "data"


def build() -> dict[str, Any]:
    """The index's content, computed from the snapshot and the marked-up texts (slow: ~1 s)."""
    references = [
        spdxlist.Reference(license_id, name, marked, part, 0, position)
        for position, (license_id, name, marked, part) in enumerate(spdxlist.list_entries())
    ]
    vocabulary = sorted({word for ref in references for word in ref.bag})
    word_id = {word: i for i, word in enumerate(vocabulary)}
    rows = []
    for ref in references:
        bag = sorted((word_id[w], n) for w, n in ref.bag.items())
        numbers = [w for w, _ in bag]
        gaps = [b - a for a, b in zip([0, *numbers], numbers)]
        size = ref.own_size
        rows.append([ref.license_id, ref.name, int(ref.marked), int(ref.part), size,
                     " ".join(map(str, gaps)), " ".join(str(n) for _, n in bag)])
    return {"snapshot": spdxlist.SPDX_TEXTS_FILE, "vocabulary": vocabulary, "references": rows}


def main() -> None:
    data = json.dumps(build(), ensure_ascii=True, separators=(",", ":"))
    target = DATA / spdxindex.INDEX_FILE
    target.write_text(data + "\n", encoding="ascii")
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
