#!/usr/bin/env bash
# Pickle safety: a malicious pickle hidden under a harmless name is an error that names the
# callable (and never runs); a plain torch.save checkpoint is only a warning to convert it.
set -euo pipefail
demo="$DEMO_DIR/pickle-demo"
rm -rf "$demo" && mkdir -p "$demo/bad" "$demo/good"
marker="$DEMO_DIR/PWNED"
rm -f "$marker"

python - "$demo" "$marker" <<'PY'
import pickle, sys, torch
demo, marker = sys.argv[1], sys.argv[2]
state = {"embed.weight": torch.randn(4, 4), "scale": torch.tensor(1.0).to(torch.bfloat16)}
state["lm_head.weight"] = state["embed.weight"]  # tied weights
for folder in ("bad", "good"):
    torch.save(state, f"{demo}/{folder}/pytorch_model.bin")
# os.system("touch PWNED"), assembled from opcodes and saved under a name nobody would suspect.
payload = (b"\x80\x02cposix\nsystem\nX" + len(f"touch {marker}").to_bytes(4, "little")
           + f"touch {marker}".encode() + b"\x85R.")
open(f"{demo}/bad/tokenizer.model", "wb").write(payload)
PY

echo "--- a release with a disguised malicious pickle (expect exit 1, RK201)"
set +e
releasekit check "$demo/bad" --select pickle --no-color > "$demo/bad.txt"
status=$?
set -e
cat "$demo/bad.txt"
[ "$status" -eq 1 ] || { echo "expected exit 1, got $status" >&2; exit 1; }
grep -q "RK201" "$demo/bad.txt" && grep -q "posix.system" "$demo/bad.txt" \
    || { echo "RK201 naming posix.system missing" >&2; exit 1; }
[ ! -e "$marker" ] || { echo "the payload ran!" >&2; exit 1; }

echo "--- a release with only a plain torch.save checkpoint (expect exit 0, RK205 warning)"
releasekit check "$demo/good" --select pickle --no-color | tee "$demo/good.txt"
grep -q "RK205" "$demo/good.txt" || { echo "RK205 missing" >&2; exit 1; }

if [ -d "$DEMO_DIR/example-release" ]; then
    echo "--- the example release (safetensors only: expect no pickle findings)"
    releasekit check "$DEMO_DIR/example-release" --select pickle --no-color
fi
