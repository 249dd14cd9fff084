"""Samples modelled on the public test suites of other pickle scanners, regenerated in code.

picklescan (tests/data), modelscan, fickling (test_bypasses) and ModelAudit (tests/assets and its
generators) publish their suites; the techniques they cover live in `malicious.CASES` (each case
names its source) and `bypasses.BYPASSES`. This module adds what those two lack: the samples the
issue names (a .7z holding a pickle, a password-protected zip member) and the benign samples on
which releasekit raised false alarms, each decided deliberately (see allowlist.py and
docs/pickles.md). `malicious_samples` and `benign_samples` write every sample into a folder and
return (id, path) pairs, for the suite (tests/test_pickle_peer_corpus.py) and for the side-by-side
figures of benchmarks/bench_pickle.py --corpus.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

from . import benign
from .bypasses import BYPASSES
from .malicious import CASES
from .ops import call, glob, program

Sample = tuple[str, Path]


def _evil(marker: Path) -> bytes:
    return program(call(glob("posix", "system"), f"touch {marker}"))


def _encrypted_zip(name: str, data: bytes) -> bytes:
    """A zip whose member has the 'encrypted' flag set (ModelAudit: password-protected archives)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, data)
    blob = bytearray(out.getvalue())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = blob.find(signature)
        blob[at + flag_at] |= 0x01
    return bytes(blob)


def _peer_malicious(marker: Path) -> dict[str, tuple[str, bytes]]:
    return {
        # ModelAudit tests/assets: a 7z archive holding a malicious pickle (no 7z library here: the
        # archive's header and the pickle's bytes; what matters is that it is never passed in silence).
        "modelaudit-7z": ("weights.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 24 + _evil(marker)),
        "modelaudit-encrypted-zip": ("weights.zip", _encrypted_zip("model.pkl", _evil(marker))),
        # fickling test_bypasses: a protocol 0 payload inside a zip member named like documentation.
        "fickling-zip-txt-member": ("bundle.zip", _zip({"docs/notes.txt": f"cposix\nsystem\n(Vtouch {marker}\ntR.".encode()})),
    }


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


#: Benign samples of the peer suites on which releasekit once raised errors, with the decision.
PEER_BENIGN: dict[str, tuple[str, bytes]] = {
    "modelaudit-future-annotations": ("future.pkl", b"\x80\x02c__future__\nannotations\nq\x00."),
    "modelaudit-abc-iterable": ("iterable.pkl", pickle.dumps(__import__("collections.abc").abc.Iterable, protocol=2)),
    "picklescan-len-empty-list": ("len.pkl", b"\x80\x02cbuiltins\nlen\n]\x85R."),
    "modelaudit-not-a-pickle-pt": ("notes.pt", b"This file is a placeholder, not a checkpoint.\n"),
}


def malicious_samples(folder: Path) -> list[Sample]:
    samples: list[Sample] = []
    marker = folder / "MARKER"
    builds = [(c.id, c.build) for c in CASES] + [(f"bypass-{b.id}", lambda m, b=b: (b.name, b.build(m)))
                                                   for b in BYPASSES]
    for sample_id, build in builds:
        name, data = build(marker)
        samples.append((sample_id, _put(folder / sample_id, name, data)))
    for sample_id, (name, data) in _peer_malicious(marker).items():
        samples.append((sample_id, _put(folder / sample_id, name, data)))
    return samples


def benign_samples(folder: Path) -> list[Sample]:
    samples: list[Sample] = []
    for name, build in benign.state_dicts().items():
        for legacy in (False, True):
            sample_id = f"torch-{'legacy' if legacy else 'zip'}-{name}"
            samples.append((sample_id, _put(folder / sample_id, f"{name}.pt",
                                            benign.torch_bytes(build(), legacy=legacy))))
    (folder / "numpy").mkdir(parents=True, exist_ok=True)
    samples += [(f"numpy-{p.name}", p) for p in benign.numpy_files(folder / "numpy")]
    (folder / "joblib").mkdir(parents=True, exist_ok=True)
    samples += [(f"joblib-{p.name}", p) for p in benign.joblib_files(folder / "joblib")]
    for name, data in benign.plain_pickles().items():
        samples.append((f"plain-{name}", _put(folder / f"plain-{name}", f"{name}.pkl", data)))
    for sample_id, (name, data) in PEER_BENIGN.items():
        samples.append((sample_id, _put(folder / sample_id, name, data)))
    return samples


def _put(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name
