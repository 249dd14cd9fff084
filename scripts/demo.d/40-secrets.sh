#!/usr/bin/env bash
# Secrets: plant a Hugging Face token in a copy of the example release (in a script and in a
# notebook's output). The check must fail with RK501 at the right places, and the token's value
# must appear nowhere in the text, JSON, SARIF or Markdown output.
set -euo pipefail
src="$DEMO_DIR/example-release"
work="$DEMO_DIR/secrets-release"
if [ ! -d "$src" ]; then
    echo "40-secrets: $src is missing (scripts/demo.d/10-check.sh builds it)" >&2
    exit 1
fi

echo "--- the example release has no secrets"
releasekit check "$src" --select secrets

rm -rf "$work"
cp -R "$src" "$work"
# The token is generated here, never written in this script: random letters after the prefix.
token="$(python -c 'import random, string; r = random.Random(40); print("hf" + "_" + "".join(r.choice(string.ascii_letters) for _ in range(34)))')"
mkdir -p "$work/scripts" "$work/notebooks"
printf 'import os\n\nHF_TOKEN = "%s"  # planted by the demo\n' "$token" > "$work/scripts/push_to_hub.py"
python - "$work/notebooks/quickstart.ipynb" "$token" <<'PY'
import json, sys
path, token = sys.argv[1], sys.argv[2]
cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ["!huggingface-cli whoami\n"],
        "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"token: {token}\n", "user: demo\n"]}]}
json.dump({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, open(path, "w"), indent=1)
PY

echo "--- a planted token fails the check (exit 1), shown with its first four characters only"
for fmt in text json sarif markdown; do
    set +e
    releasekit check "$work" --select secrets --format "$fmt" > "$DEMO_DIR/secrets.$fmt" 2> "$DEMO_DIR/secrets.$fmt.err"
    code=$?
    set -e
    if [ "$code" -ne 1 ]; then
        echo "40-secrets: expected exit 1 for --format $fmt, got $code" >&2
        cat "$DEMO_DIR/secrets.$fmt.err" >&2
        exit 1
    fi
    if grep -qF "$token" "$DEMO_DIR/secrets.$fmt" "$DEMO_DIR/secrets.$fmt.err"; then
        echo "40-secrets: the token's value leaked into the $fmt output" >&2
        exit 1
    fi
done
cat "$DEMO_DIR/secrets.text"
python - "$DEMO_DIR/secrets.json" "$work" "$token" <<'PY'
import json, sys
report, work, token = sys.argv[1:]
found = {(f["rule"], f["path"], f["line"]) for f in json.load(open(report))["findings"] if f["severity"] == "error"}
nb_line = next(i for i, line in enumerate(open(f"{work}/notebooks/quickstart.ipynb"), 1) if token in line)
expected = {("RK501", "scripts/push_to_hub.py", 3), ("RK501", "notebooks/quickstart.ipynb", nb_line)}
if found != expected:
    sys.exit(f"40-secrets: expected findings {sorted(expected)}, got {sorted(found)}")
print(f"--- JSON: RK501 at scripts/push_to_hub.py:3 and notebooks/quickstart.ipynb:{nb_line}; "
      "no output format contains the token")
PY
