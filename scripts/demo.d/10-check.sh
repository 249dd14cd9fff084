#!/usr/bin/env bash
# Build the example release, check it (passes), then check a copy with planted defects (fails).
set -euo pipefail
EXAMPLE="$DEMO_DIR/example-release"
python -m releasekit.example "$EXAMPLE"

echo "--- releasekit check (clean release: expect PASS, exit 0)"
releasekit check "$EXAMPLE"

BROKEN="$DEMO_DIR/example-broken"
cp -r "$EXAMPLE" "$BROKEN"
# Planted defects: a config that disagrees with the MLA weights, and a shard cut short in upload.
python - "$BROKEN" <<'PY'
import json, os, sys
root = sys.argv[1]
config = json.load(open(os.path.join(root, "config.json")))
config["kv_lora_rank"] = 128
json.dump(config, open(os.path.join(root, "config.json"), "w"), indent=2)
shard = os.path.join(root, "model-00002-of-00002.safetensors")
os.truncate(shard, os.path.getsize(shard) - 1000)
PY

echo "--- releasekit check (planted defects: expect FAIL, exit 1)"
set +e
releasekit check "$BROKEN"
status=$?
set -e
if [ "$status" -ne 1 ]; then
    echo "demo: expected exit 1 on the broken release, got $status" >&2
    exit 1
fi
echo "--- the same verdict as JSON for CI (summary only)"
set +e
releasekit check "$BROKEN" --format json --output "$DEMO_DIR/broken-report.json"
set -e
python -c "import json,sys; print(json.load(open(sys.argv[1]))['summary'])" "$DEMO_DIR/broken-report.json"
