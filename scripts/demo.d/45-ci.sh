#!/usr/bin/env bash
# CI gating: GitHub annotations, SARIF placed in the repository, a baseline that fails only on
# what is new, and a suppression that must give its reason. docs/ci.md has the action and hook.
set -euo pipefail
demo="$DEMO_DIR/ci-demo"
rm -rf "$demo" && mkdir -p "$demo"
python -m releasekit.example "$demo/release" > /dev/null
token="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"  # the shape of a Hugging Face token, not a live one
printf "import os\n\nTOKEN = '%s'\n" "$token" > "$demo/release/train/old.py"

echo "--- workflow-command annotations, one per finding (expect exit 1)"
set +e
releasekit check "$demo/release" --format github --select secrets
status=$?
set -e
[ "$status" -eq 1 ] || { echo "expected exit 1, got $status" >&2; exit 1; }

echo "--- adopt releasekit on this release: record a baseline, then only new findings fail"
releasekit check "$demo/release" --write-baseline "$demo/baseline.json" --select secrets > /dev/null
releasekit check "$demo/release" --baseline "$demo/baseline.json" --select secrets --no-color | tail -3
printf "KEY = '%s'\n" "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" > "$demo/release/train/new.py"
set +e
releasekit check "$demo/release" --baseline "$demo/baseline.json" --select secrets --no-color > "$demo/new.txt"
status=$?
set -e
cat "$demo/new.txt"
[ "$status" -eq 1 ] && grep -q "train/new.py" "$demo/new.txt" || { echo "the new token must fail" >&2; exit 1; }

echo "--- a suppression with its reason, listed in the report"
printf "KEY = '%s'  # releasekit: ignore[RK501] revoked, kept as a test fixture\n" \
    "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" > "$demo/release/train/new.py"
releasekit check "$demo/release" --baseline "$demo/baseline.json" --select secrets --no-color | grep -A1 "^Suppressed"
