#!/usr/bin/env bash
# `make demo`: build the bundled example release and run releasekit on it.
# Each capability adds its own step as scripts/demo.d/NN-name.sh; they run in order.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEMO_DIR="${DEMO_DIR:-build/demo}"
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
for step in scripts/demo.d/*.sh; do
    [ -e "$step" ] || continue
    echo
    echo "=== $(basename "$step" .sh) ==="
    bash "$step"
done
echo
echo "demo: all steps done"
