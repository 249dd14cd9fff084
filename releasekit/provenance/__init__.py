"""Provenance of a release: digests, SBOMs (SPDX, CycloneDX), SHA256SUMS, signatures, verification.

The Python API `publish` calls (one hashing pass serves them all through the digest cache):

    from releasekit.provenance import hash_release, write_sha256sums, build_spdx
    digests = hash_release(root)            # {"model-00001-of-00002.safetensors": Digests(...), ...}
    write_sha256sums(root, root / "SHA256SUMS")
    text = build_spdx(root)                 # SPDX 2.3 JSON, validated by spdx-tools
"""

from __future__ import annotations

from releasekit.provenance.api import (
    HashingError,
    build_cyclonedx,
    build_spdx,
    hash_release,
    hash_content,
    sign_release,
    write_sha256sums,
)
from releasekit.provenance.verify import VerifyResult, verify_release
from releasekit.provenance.hashing import Digests
from releasekit.provenance.scope import ARTIFACT_NAMES, STAGING_DIR

__all__ = [
    "ARTIFACT_NAMES",
    "STAGING_DIR",
    "Digests",
    "HashingError",
    "build_cyclonedx",
    "build_spdx",
    "hash_content",
    "hash_release",
    "sign_release",
    "verify_release",
    "VerifyResult",
    "write_sha256sums",
]
