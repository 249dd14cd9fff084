#!/usr/bin/env bash
# `releasekit card`: the model card and the GitHub README generated from the example release.
#  1. --init writes a commented [card] skeleton; the lab fills in what the files cannot tell;
#  2. --diff shows what would replace the hand-written card; --force writes it;
#  3. the generated card passes releasekit's own card and license rules; --check (for CI) says it is current.
set -euo pipefail
: "${DEMO_DIR:?run through scripts/demo.sh}"
release="$DEMO_DIR/card-release"
rm -rf "$release"
python -m releasekit.example "$release" >/dev/null

echo "\$ releasekit card card-release --init"
releasekit card "$release" --init
grep -c '^# ' "$release/releasekit.toml" | sed 's/^/  commented lines in the skeleton: /'
# What a lab writes in place of the skeleton:
cat > "$release/releasekit.toml" <<'TOML'
[card]
name = "Tiny-MLA-MoE"
organisation = "Example Lab"
summary = "A tiny DeepSeek-V3-style model with random weights, bundled with releasekit to test release tooling."
hub_repo = "example-lab/tiny-mla-moe"
languages = ["en"]
intended_uses = "Testing release tooling: checkpoint validation, conversion and kernel smoke tests."
limitations = "The model is untrained and produces meaningless text."
training = "None: the weights are random, drawn from a fixed seed."
citation = "@misc{examplelab2026tiny, title = {Tiny-MLA-MoE}, author = {{Example Lab}}, year = {2026}}"

[[card.evaluation]]
benchmark = "Random baseline"
dataset = "example-lab/sanity"
metric = "accuracy"
value = 0.25
how = "4-way multiple choice, 0-shot"
TOML

echo
echo "\$ releasekit card card-release        # a hand-written README.md is there: refused without --force"
set +e
releasekit card "$release"
code=$?
set -e
if [ "$code" -ne 2 ]; then echo "demo: expected exit 2 without --force, got $code" >&2; exit 1; fi

echo
echo "\$ releasekit card card-release --diff | head -20"
releasekit card "$release" --diff | head -20 || true

echo
echo "\$ releasekit card card-release --force && releasekit card card-release --github"
releasekit card "$release" --force
releasekit card "$release" --github
echo
echo "--- README.md (generated), first 40 lines"
head -40 "$release/README.md"

echo
echo "\$ releasekit check card-release --select card,license"
releasekit check "$release" --select card,license --no-color
echo "\$ releasekit card card-release --check"
releasekit card "$release" --check
