#!/usr/bin/env bash
# releasekit publish on the example release, rehearsed against the local server (no network, no
# credentials): check gates it, the Hub gets every file (weights through LFS) and a tag, GitHub
# gets the code and the README in one commit and a release with SHA256SUMS, a source archive and
# the README; everything is then read back and compared by sha256, and the server is stopped.
set -euo pipefail
source "$(dirname "$0")/../demo_step.sh"

echo "\$ releasekit publish example-release --hf lab/example --github lab/example --tag v1.0 --rehearse"
releasekit publish "$example" --hf lab/example --github lab/example --tag v1.0 --rehearse --no-progress \
    | tee "$DEMO_DIR/publish.txt" | grep -E "^(release|Hub|GitHub|  commit|  tag|  release|  asset|rehearsal)"
grep -q "^rehearsal: verified" "$DEMO_DIR/publish.txt" || fail "the rehearsal did not verify"
if grep -q "mismatch" "$DEMO_DIR/publish.txt"; then fail "the rehearsal found a mismatch"; fi

hostile="$DEMO_DIR/example-leaky"
rm -rf "$hostile"
cp -r "$example" "$hostile"
ln -s /etc/hostname "$hostile/hostname.txt"
echo "\$ releasekit publish example-leaky --hf lab/leaky --rehearse   # a link out of the folder: expect exit 1"
set +e
releasekit publish "$hostile" --hf lab/leaky --rehearse --no-progress 2>&1 | tail -n 2
code=${PIPESTATUS[0]}
set -e
[ "$code" -eq 1 ] || fail "expected exit 1 for a release whose check fails, got $code"
echo "refused; nothing was published"
