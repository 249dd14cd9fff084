"""`sign` then `verify`: an untouched copy passes; every kind of tampering is one clear line and exit 1."""

from __future__ import annotations

import base64
import os
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from releasekit.example import build_example
from releasekit.provenance import signing


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(tmp_path / "cache"))


def _keys(folder: Path, curve=ec.SECP256R1) -> tuple[Path, Path]:
    private = ec.generate_private_key(curve())
    priv, pub = folder / "private.pem", folder / "public.pem"
    priv.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    pub.write_bytes(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo))
    return priv, pub


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """The example release with SBOM, SHA256SUMS and a signature, made through the CLI."""
    from releasekit.cli.main import run

    base = tmp_path_factory.mktemp("signed")
    keys = base / "keys"
    keys.mkdir()
    priv, pub = _keys(keys)
    root = build_example(base / "release")
    for argv in (["sbom", str(root)], ["sbom", str(root), "--format", "cyclonedx"], ["checksums", str(root)], ["sign", str(root), "--key", str(priv)]):
        assert run(argv) == 0, argv
    return root, pub


ALL = "the signature (model.sig), the SBOM (release.spdx.json), the SBOM (release.cdx.json), SHA256SUMS"


def _copy(signed, tmp_path) -> tuple[Path, Path]:
    root, pub = signed
    copy = tmp_path / "download"
    shutil.copytree(root, copy)
    return copy, pub


def _content_files(root: Path) -> int:
    """The release's files, the provenance artifacts (SBOM, SHA256SUMS, signature) aside."""
    artifacts = {"model.sig", "SHA256SUMS", "release.spdx.json", "release.cdx.json"}
    return sum(1 for p in root.rglob("*") if p.is_file() and p.relative_to(root).as_posix() not in artifacts)


def _verify(run_cli, copy: Path, pub: Path, *extra):
    return run_cli("verify", copy, "--key", pub, *extra)


def test_untouched_copy_passes(signed, tmp_path, run_cli):
    copy, pub = _copy(signed, tmp_path)
    assert sorted(p.name for p in copy.iterdir() if p.name in ("model.sig", "release.spdx.json", "SHA256SUMS")) == [
        "SHA256SUMS", "model.sig", "release.spdx.json"]
    result = _verify(run_cli, copy, pub)
    assert result.exit_code == 0, result
    assert result.stdout == f"verified: {_content_files(copy)} files match {ALL}\n"


def test_staging_area_is_not_an_added_file(signed, tmp_path, run_cli):
    copy, pub = _copy(signed, tmp_path)
    (copy / ".releasekit").mkdir()
    (copy / ".releasekit" / "upload-plan.json").write_text("{}")
    assert _verify(run_cli, copy, pub).exit_code == 0


def _lines(result) -> list[str]:
    return result.stdout.splitlines()[:-1]


def test_changed_byte(signed, tmp_path, run_cli):
    copy, pub = _copy(signed, tmp_path)
    with open(copy / "model-00002-of-00002.safetensors", "r+b") as handle:
        handle.seek(123456)
        byte = handle.read(1)
        handle.seek(123456)
        handle.write(bytes([byte[0] ^ 1]))
    result = _verify(run_cli, copy, pub)
    assert result.exit_code == 1
    assert _lines(result) == [
        f"model-00002-of-00002.safetensors: changed: content differs from {ALL}"
    ]


def test_renamed_missing_and_added(signed, tmp_path, run_cli):
    copy, pub = _copy(signed, tmp_path)
    (copy / "train" / "train.py").rename(copy / "train" / "train_v2.py")
    (copy / "generation_config.json").unlink()
    (copy / "inference" / "backdoor.py").write_text("import os\n")
    result = _verify(run_cli, copy, pub)
    assert result.exit_code == 1
    sources = ALL
    assert _lines(result) == [
        f"generation_config.json: missing: listed in {sources}",
        f"inference/backdoor.py: added: not listed in {sources}",
        f"train/train.py: renamed: now train/train_v2.py (same content); listed in {sources}",
    ]
    assert result.stdout.splitlines()[-1].startswith("FAILED: 3 difference(s)")


def test_tampered_signed_manifest(signed, tmp_path, run_cli):
    copy, pub = _copy(signed, tmp_path)
    bundle = json.loads((copy / "model.sig").read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["predicate"]["resources"][0]["digest"] = "0" * 64
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    (copy / "model.sig").write_text(json.dumps(bundle))
    result = _verify(run_cli, copy, pub)
    assert result.exit_code == 1
    assert _lines(result) == ["model.sig: invalid: signature does not verify: not valid for this key (the signed "
                              "manifest or the signature was altered, or another key signed it)"]


def test_tampered_signature_bytes_and_wrong_key(signed, tmp_path, run_cli):
    copy, pub = _copy(signed, tmp_path)
    bundle = json.loads((copy / "model.sig").read_text())
    sig = bytearray(base64.b64decode(bundle["dsseEnvelope"]["signatures"][0]["sig"]))
    sig[-1] ^= 0xFF
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    (copy / "model.sig").write_text(json.dumps(bundle))
    result = _verify(run_cli, copy, pub)
    assert result.exit_code == 1 and _lines(result)[0].startswith("model.sig: invalid: signature does not verify")
    other = tmp_path / "other"
    other.mkdir()
    _, other_pub = _keys(other)
    result = _verify(run_cli, signed[0], other_pub)
    assert result.exit_code == 1 and "Key mismatch" in result.stdout
    (copy / "model.sig").write_text("not json")
    result = _verify(run_cli, copy, pub)
    assert _lines(result) == ["model.sig: invalid: not a model-signing bundle (JSONDecodeError)"]


def test_tampered_checksums_and_sbom(signed, tmp_path, run_cli):
    copy, pub = _copy(signed, tmp_path)
    sums = (copy / "SHA256SUMS").read_text().splitlines()
    digest, name = sums[0].split("  ", 1)
    sums[0] = f"{'0' * 64}  {name}"
    (copy / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    result = _verify(run_cli, copy, pub)
    assert result.exit_code == 1
    assert _lines(result) == [
        f"{name}: changed: content differs from SHA256SUMS",
        "SHA256SUMS: changed: content differs from the signature (model.sig)",
    ]
    # Without the signature, forged SBOMs are still caught against the files.
    sbom = json.loads((copy / "release.spdx.json").read_text())
    (entry,) = [f for f in sbom["files"] if f["fileName"] == "./config.json"]
    entry["checksums"][1]["checksumValue"] = "1" * 64
    (copy / "release.spdx.json").write_text(json.dumps(sbom))
    bom = json.loads((copy / "release.cdx.json").read_text())
    (component,) = [c for c in bom["components"] if c["name"] == "config.json"]
    component["hashes"][1]["content"] = "2" * 64
    (copy / "release.cdx.json").write_text(json.dumps(bom))
    result = run_cli("verify", copy)
    assert result.exit_code == 1
    assert "config.json: changed: content differs from the SBOM (release.spdx.json), the SBOM (release.cdx.json)" \
        in _lines(result)
    assert "note: model.sig not checked" in result.stderr


def test_interoperates_with_model_signing_verify(signed):
    import model_signing

    root, pub = signed
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=pub).verify(root, root / "model.sig")


def test_signature_outside_the_folder_and_json_output(signed, tmp_path, run_cli):
    root, pub = signed
    copy = tmp_path / "plain"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("model.sig", "SHA256SUMS", "release.*.json"))
    priv = tmp_path / "k"
    priv.mkdir()
    key, public = _keys(priv, ec.SECP384R1)
    assert run_cli("sign", copy, "--key", key, "--signature", tmp_path / "out.sig").exit_code == 0
    result = run_cli("verify", copy, "--signature", tmp_path / "out.sig", "--key", public, "--format", "json")
    assert result.exit_code == 0, result
    assert result.json()["ok"] is True and result.json()["files"] == _content_files(copy)
    (copy / "new.txt").write_text("x")
    result = run_cli("verify", copy, "--signature", tmp_path / "out.sig", "--key", public, "--format", "json")
    assert result.exit_code == 1
    assert result.json()["differences"] == [{"path": "new.txt", "problem": "added",
                                             "detail": "not listed in the signature (out.sig)"}]


def test_usage_errors_exit_2(signed, tmp_path, run_cli):
    root, pub = signed
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "a.txt").write_text("a")
    result = run_cli("verify", bare)
    assert result.exit_code == 2 and "nothing to verify against" in result.stderr
    assert run_cli("verify", tmp_path / "nope").exit_code == 2
    assert run_cli("sign", bare).exit_code == 2
    rsa_key = tmp_path / "rsa.pem"
    rsa_key.write_bytes(rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    result = run_cli("sign", bare, "--key", rsa_key)
    assert result.exit_code == 2 and "elliptic-curve keys" in result.stderr and "Traceback" not in result.stderr
    assert not (bare / "model.sig").exists()


def test_sigstore_unreachable_is_a_clear_error(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr(signing, "SIGSTORE_HOSTS", ("127.0.0.1",))  # nothing listens on loopback:443 here
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "a.txt").write_text("a")
    result = run_cli("sign", tmp_path / "r", "--sigstore")
    assert result.exit_code == 2
    assert "Sigstore signing needs the network" in result.stderr and "--key private.pem" in result.stderr


def test_unreadable_entries_are_differences_not_silence(signed, tmp_path, run_cli):
    copy, pub = _copy(signed, tmp_path)
    os.mkfifo(copy / "pipe")
    (copy / "README.md").unlink()
    (copy / "README.md").symlink_to("nowhere")
    result = _verify(run_cli, copy, pub)
    assert result.exit_code == 1
    lines = _lines(result)
    assert "pipe: unreadable: a named pipe (FIFO)" in lines
    assert "README.md: unreadable: is missing (or a broken link)" in lines
    result = run_cli("sbom", copy, "-o", tmp_path / "x.spdx.json")
    assert result.exit_code == 2 and "cannot be hashed" in result.stderr and "Traceback" not in result.stderr


def test_control_characters_in_names_are_escaped(signed, tmp_path, run_cli):
    copy, pub = _copy(signed, tmp_path)
    (copy / "evil\x1b[2Jname.py").write_text("x")
    result = _verify(run_cli, copy, pub)
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout and "evil\\x1b[2Jname.py: added" in result.stdout


def test_encrypted_key_password_from_the_environment(tmp_path, run_cli, monkeypatch):
    root = tmp_path / "r"
    root.mkdir()
    (root / "weights.safetensors").write_bytes(b"\0" * 100)
    private = ec.generate_private_key(ec.SECP256R1())
    key = tmp_path / "enc.pem"
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.BestAvailableEncryption(b"s3cret-pass")))
    pub = tmp_path / "pub.pem"
    pub.write_bytes(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    result = run_cli("sign", root, "--key", key)
    assert result.exit_code == 2 and "--password-env" in result.stderr
    monkeypatch.setenv("RK_KEY_PASSWORD", "s3cret-pass")
    result = run_cli("sign", root, "--key", key, "--password-env", "RK_KEY_PASSWORD")
    assert result.exit_code == 0, result
    assert "s3cret-pass" not in result.stdout + result.stderr
    assert run_cli("verify", root, "--key", pub).exit_code == 0


def test_verifies_a_signature_made_by_model_signing_itself(tmp_path, run_cli):
    import model_signing

    root = build_example(tmp_path / "release")
    keys = tmp_path / "keys"
    keys.mkdir()
    priv, pub = _keys(keys)
    model_signing.signing.Config().use_elliptic_key_signer(private_key=priv).sign(root, root / "model.sig")
    assert run_cli("verify", root, "--key", pub).exit_code == 0
    (root / "config.json").write_text("{}")
    result = run_cli("verify", root, "--key", pub)
    assert result.exit_code == 1
    assert _lines(result) == ["config.json: changed: content differs from the signature (model.sig)"]


def test_a_stale_signature_in_the_folder_is_never_sealed(signed, tmp_path, run_cli):
    copy, pub = _copy(signed, tmp_path)  # holds model.sig from the first signing
    keys = tmp_path / "k2"
    keys.mkdir()
    priv, pub2 = _keys(keys)
    assert run_cli("sign", copy, "--key", priv, "--signature", tmp_path / "second.sig").exit_code == 0
    bundle = json.loads((tmp_path / "second.sig").read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    names = {r["name"] for r in statement["predicate"]["resources"]}
    assert "model.sig" not in names and {"SHA256SUMS", "release.spdx.json", "release.cdx.json"} <= names
    result = run_cli("verify", copy, "--signature", tmp_path / "second.sig", "--key", pub2)
    assert result.exit_code == 0, result
