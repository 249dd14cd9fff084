"""Write the SPDX texts' word index (`releasekit/data/spdx_license_index-*.json`) from the snapshot.

Run after changing the snapshot, the marked-up texts or the tokeniser (a test fails until then):

    .venv/bin/python scripts/gen_spdx_index.py
"""

from __future__ import annotations

import json
from pathlib import Path

from releasekit.licenses import spdxindex

DATA = Path(__file__).resolve().parent.parent / "releasekit" / "data"


def main() -> None:
    data = json.dumps(spdxindex.build(), ensure_ascii=True, separators=(",", ":"))
    target = DATA / spdxindex.INDEX_FILE
    target.write_text(data + "\n", encoding="ascii")
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
