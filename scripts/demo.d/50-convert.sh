#!/usr/bin/env bash
# releasekit convert on the example release:
#  1. a pickled copy (pytorch_model-*.bin + index, FP8 weights and scales) converted to
#     safetensors, originals removed after verification; `check` passes on the result;
#  2. a checkpoint that runs a shell command when unpickled: refused (exit 1), never executed;
#  3. --dequantize-fp8 on the example's own FP8 safetensors: BF16 weights, scales dropped from the
#     index, config.json without quantization_config; `check` passes on the weights;
#  4. a core install (torch and numpy blocked) converts a torch zip checkpoint with a tied
#     embedding and a sibling dict beside its state dict: every tensor written, `head.weight` included.
set -euo pipefail
source "$(dirname "$0")/../demo_step.sh"

pickled="$DEMO_DIR/example-pickled"
rm -rf "$pickled"
python scripts/make_pickled_example.py "$example" "$pickled"

echo "\$ releasekit convert example-pickled --max-shard-size 3MB --remove-originals"
releasekit convert "$pickled" --max-shard-size 3MB --remove-originals
[ -f "$pickled/model.safetensors.index.json" ] || fail "no model.safetensors.index.json after convert"
if ls "$pickled"/*.bin >/dev/null 2>&1; then fail "originals still present after --remove-originals"; fi
python - "$example" "$pickled" <<'PY'
import json, sys
from pathlib import Path
import torch
from safetensors.torch import load_file
def tensors(folder):
    index = json.loads((Path(folder) / "model.safetensors.index.json").read_text())
    out = {}
    for file in sorted(set(index["weight_map"].values())):
        out.update(load_file(Path(folder) / file))
    return out
before, after = tensors(sys.argv[1]), tensors(sys.argv[2])
assert before.keys() == after.keys(), "tensor names differ"
for name, t in before.items():
    assert t.dtype == after[name].dtype and t.shape == after[name].shape, name
    assert t.contiguous().view(-1).view(torch.uint8).equal(after[name].contiguous().view(-1).view(torch.uint8)), name
print(f"round trip: {len(before)} tensors identical to the example's own safetensors, bit for bit")
PY
echo "\$ releasekit check example-pickled   # the converted release"
releasekit check "$pickled" --no-color | tail -n 1

evil="$DEMO_DIR/evil-checkpoint"
rm -rf "$evil"
mkdir -p "$evil"
python - "$evil" <<'PY'
import os, pickle, sys
class RunsShell:
    def __reduce__(self):
        return (os.system, (f"touch {sys.argv[1]}/PWNED",))
with open(f"{sys.argv[1]}/pytorch_model.bin", "wb") as handle:
    pickle.dump({"weight": [0.0, 0.0], "payload": RunsShell()}, handle, protocol=2)
PY
echo "\$ releasekit convert evil-checkpoint   # unpickling it would run 'touch PWNED': expect exit 1"
set +e
releasekit convert "$evil"
code=$?
set -e
[ "$code" -eq 1 ] || fail "expected exit 1 for the malicious checkpoint, got $code"
[ ! -e "$evil/PWNED" ] || fail "the payload ran"
[ ! -e "$evil/model.safetensors" ] || fail "an output was written for a refused input"
echo "refused; the payload never ran"

bf16="$DEMO_DIR/example-bf16"
rm -rf "$bf16"
echo "\$ releasekit convert example-release --dequantize-fp8 --output example-bf16"
releasekit convert "$example" --dequantize-fp8 --output "$bf16" --format json \
    | python -c "import json,sys; r=json.load(sys.stdin); print(f\"dequantized {len(r['dequantized'])} FP8 tensors, dropped {len(r['scales_dropped'])} scales, wrote {[o['path'] for o in r['outputs']] + r['extra_files']}\")"
python - "$bf16" <<'PY'
import json, sys
from pathlib import Path
root = Path(sys.argv[1])
config = json.loads((root / "config.json").read_text())
assert "quantization_config" not in config and config["torch_dtype"] == "bfloat16", config
PY
echo "\$ releasekit check example-bf16 --select weights"
releasekit check "$bf16" --select weights --no-color | tail -n 1

core="$DEMO_DIR/core-convert"
rm -rf "$core"
mkdir -p "$core"
python - "$core" <<'PY'
import sys, torch
embed = torch.randn(64, 16)
state = {"embed.weight": embed, "norm.weight": torch.ones(16), "lm_head.weight": embed}
torch.save({"model": state, "head": {"weight": torch.randn(2, 16)}, "epoch": 3}, f"{sys.argv[1]}/model.pt")
PY
echo "\$ releasekit convert core-convert/model.pt   # torch and numpy blocked: what a core install does"
python -c 'import sys; sys.modules["torch"] = None; sys.modules["numpy"] = None
from releasekit.cli.main import run; sys.exit(run(sys.argv[1:]))' convert "$core/model.pt"
python - "$core" <<'PY'
import sys
from releasekit.safetensors_format import read_header
header = read_header(f"{sys.argv[1]}/model.safetensors")
assert header.ok and set(header.tensors) == {"embed.weight", "norm.weight", "head.weight"}, header.tensors
assert header.metadata["lm_head.weight"] == "embed.weight", header.metadata
print("every tensor written: head.weight namespaced, lm_head.weight an alias of embed.weight")
PY
