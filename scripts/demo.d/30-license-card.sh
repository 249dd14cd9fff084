#!/usr/bin/env bash
# License, model card and openness rules on the example release:
#  1. a copy whose card claims `license: apache-2.0` beside the MIT LICENSE text: RK304, exit 1;
#  2. the clean example: no license or card finding, and its openness (MOF) section.
set -euo pipefail
source "$(dirname "$0")/../demo_step.sh"

mismatch="$DEMO_DIR/license-mismatch"
rm -rf "$mismatch"
cp -r "$example" "$mismatch"
python - "$mismatch/README.md" <<'PY'
import sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
assert "\nlicense: mit\n" in text, "example card no longer says license: mit"
open(path, "w", encoding="utf-8").write(text.replace("\nlicense: mit\n", "\nlicense: apache-2.0\n", 1))
PY
echo "\$ releasekit check license-mismatch --select license,card   # card says apache-2.0, LICENSE is MIT"
set +e
out="$(releasekit check "$mismatch" --select license,card --no-color)"
code=$?
set -e
echo "$out"
if [ "$code" -ne 1 ]; then echo "demo: expected exit 1 for the mismatch, got $code" >&2; exit 1; fi
if ! grep -q "RK304" <<<"$out"; then echo "demo: RK304 (card-license-mismatch) not reported" >&2; exit 1; fi

echo
echo "\$ releasekit check example-release --select license,card,openness"
set +e
out="$(releasekit check "$example" --select license,card,openness --no-color)"
code=$?
set -e
echo "$out"
if [ "$code" -ne 0 ]; then echo "demo: expected exit 0 for the clean example, got $code" >&2; exit 1; fi
if ! grep -q "Openness (Model Openness Framework)" <<<"$out"; then
    echo "demo: the openness section is missing" >&2; exit 1
fi
