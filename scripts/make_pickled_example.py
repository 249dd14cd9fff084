"""Make a pickled copy of a safetensors release, as older releases shipped: for the convert demo.

    python scripts/make_pickled_example.py SRC DEST

Every `*.safetensors` shard of SRC becomes `pytorch_model-0000i-of-0000n.bin` (torch.save, zip
format) with `pytorch_model.bin.index.json`; every other file is copied. The tensors are the same,
FP8 weights and their scales included, so `releasekit convert` can be checked against the source.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file


def main(source: Path, dest: Path) -> None:
    index = json.loads((source / "model.safetensors.index.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    renamed = {name: name.replace("model-", "pytorch_model-").replace(".safetensors", ".bin") for name in shards}
    dest.mkdir(parents=True, exist_ok=True)
    for name in shards:
        torch.save(load_file(source / name), dest / renamed[name])
    weight_map = {tensor: renamed[file] for tensor, file in index["weight_map"].items()}
    (dest / "pytorch_model.bin.index.json").write_text(
        json.dumps({"metadata": index.get("metadata", {}), "weight_map": weight_map}, indent=2) + "\n"
    )
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_file() and not path.name.endswith((".safetensors", ".safetensors.index.json")):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / rel)
    print(f"pickled copy of {source} written to {dest} ({len(shards)} shard(s), {len(weight_map)} tensors)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
