# Sourced by each scripts/demo.d step (not a step itself): the demo folder, the example release
# (built here when a step runs alone, after 10-check built it otherwise) and a one-line failure.
: "${DEMO_DIR:?run through scripts/demo.sh}"
example="$DEMO_DIR/example-release"
if [ ! -d "$example" ]; then
    python -m releasekit.example "$example" >/dev/null
fi
fail() { echo "demo: $*" >&2; exit 1; }
