#!/usr/bin/env bash
# Run the bundled Triton kernels (MLA decode, FP8 GEMM) against fp32 references with the example
# release's shapes and one of its real FP8 weights, on the CPU under Triton's interpreter.
set -euo pipefail
EXAMPLE="$DEMO_DIR/example-release"
if [ ! -f "$EXAMPLE/config.json" ]; then
    python -m releasekit.example "$EXAMPLE"  # normally built by 10-check.sh
fi

echo "--- releasekit smoke (CPU, Triton interpreter: expect PASS, exit 0)"
set +e
releasekit smoke "$EXAMPLE" --device cpu | tee "$DEMO_DIR/smoke.txt"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
    echo "demo: expected exit 0 from releasekit smoke, got $status" >&2
    exit 1
fi
grep -q "^PASS gemm    gemm-checkpoint " "$DEMO_DIR/smoke.txt" || { echo "demo: no checkpoint GEMM case" >&2; exit 1; }
grep -q "negative controls caught$" "$DEMO_DIR/smoke.txt" || { echo "demo: no negative-control summary" >&2; exit 1; }

echo "--- a config without MLA fields (llama): expect a one-line error, exit 2"
LLAMA="$DEMO_DIR/llama-release"
mkdir -p "$LLAMA"
printf '{"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32}\n' > "$LLAMA/config.json"
set +e
releasekit smoke "$LLAMA" --device cpu
status=$?
set -e
if [ "$status" -ne 2 ]; then
    echo "demo: expected exit 2 for a llama config, got $status" >&2
    exit 1
fi
