"""Provenance of a release: digests, SBOMs (SPDX, CycloneDX), SHA256SUMS, signatures, verification.

The Python API `publish` calls (one hashing pass serves them all through the digest cache):

    from releasekit.provenance import hash_release, write_sha256sums, build_spdx
    digests = hash_release(root)            # {"model-00001-of-00002.safetensors": Digests(...), ...}
    write_sha256sums(root, root / "SHA256SUMS")
    text = build_spdx(root)                 # SPDX 2.3 JSON, validated by spdx-tools

Names load on first use (PEP 562): the settings model reads `provenance.settings` at every
`check`, which must not pay for the SBOM machinery.
"""

from __future__ import annotations

from releasekit import lazy

_EXPORTS = {
    "HashingError": "api", "build_cyclonedx": "api", "build_spdx": "api", "hash_release": "api",
    "hash_content": "api", "sign_release": "api", "write_sha256sums": "api",
    "VerifyResult": "verify", "verify_release": "verify", "Digests": "hashing",
    "ARTIFACT_NAMES": "scope", "STAGING_DIR": "scope",
}

__all__ = [
    "ARTIFACT_NAMES", "STAGING_DIR", "Digests", "HashingError", "VerifyResult", "build_cyclonedx", "build_spdx",
    "hash_content", "hash_release", "sign_release", "verify_release", "write_sha256sums",
]


__getattr__ = lazy.exports(__name__, {name: f"{__name__}.{module}" for name, module in _EXPORTS.items()})
