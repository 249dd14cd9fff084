"""Benign corpora: what torch.save, numpy and joblib really write for plain training artefacts."""

from __future__ import annotations

import argparse
import collections
import datetime
import io
import pathlib
import pickle
import random
from collections.abc import Callable
from pathlib import Path


def state_dicts() -> dict[str, Callable[[], object]]:
    """Named builders of objects a real checkpoint holds (imports torch lazily)."""
    import numpy as np
    import torch

    def tied() -> object:
        weight = torch.randn(8, 4)
        return collections.OrderedDict([("embed.weight", weight), ("lm_head.weight", weight), ("bias", torch.zeros(8))])

    def nested() -> object:
        return {"model": {"layers": {"0": {"w": torch.ones(2, 2)}, "1": {"w": torch.arange(4.0)}}},
                "step": 10, "config": {"lr": 3e-4, "betas": (0.9, 0.95), "name": "run", "tags": ["a", "b"]}}

    def dtypes() -> object:
        base = torch.randn(4, 4)
        return {"bf16": base.to(torch.bfloat16), "fp16": base.half(), "e4m3": base.to(torch.float8_e4m3fn),
                "e5m2": base.to(torch.float8_e5m2), "int8": base.to(torch.int8), "bool": base > 0,
                "int64": torch.arange(3), "scalar": torch.tensor(3.5), "empty": torch.zeros(0),
                "view": base[1:3, ::2], "complex": torch.randn(2, dtype=torch.complex64)}

    def optimizer() -> object:
        model = torch.nn.Linear(4, 2)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        model(torch.randn(3, 4)).sum().backward()
        opt.step()
        return {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}

    def parameters() -> object:
        return {"p": torch.nn.Parameter(torch.randn(3)), "size": torch.Size([2, 3]), "device": torch.device("cpu"),
                "dtype": torch.float32}

    def rng_state() -> object:  # what Hugging Face's Trainer writes to rng_state.pth
        return {"python": random.getstate(), "numpy": np.random.get_state(), "cpu": torch.random.get_rng_state()}

    def quantized() -> object:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # quantized tensors are deprecated, but old checkpoints hold them
            return {"q": torch.quantize_per_tensor(torch.randn(4), 0.1, 0, torch.qint8)}

    def plain_data() -> object:
        return {"args": argparse.Namespace(lr=0.1, layers=2), "when": datetime.datetime(2024, 1, 2, 3, 4, 5),
                "delta": datetime.timedelta(hours=1), "path": pathlib.PurePosixPath("/data/run"),
                "ids": {1, 2, 3}, "frozen": frozenset({"x"}), "raw": b"\x00\x01", "buf": bytearray(b"ab"),
                "c": 1 + 2j, "s": slice(1, 5), "counts": collections.Counter("hello"),
                "dd": collections.defaultdict(list, {"k": [1]})}

    return {"tied": tied, "nested": nested, "dtypes": dtypes, "optimizer": optimizer, "parameters": parameters,
            "rng_state": rng_state, "quantized": quantized, "plain_data": plain_data}


def torch_bytes(obj: object, *, legacy: bool, name: str = "archive") -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=not legacy)
    data = buffer.getvalue()
    if not legacy and name != "archive":  # a file-like object always gets root "archive": rename it
        import zipfile
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                dst.writestr(name + info.filename[len("archive"):], src.read(info))
        data = out.getvalue()
    return data


def numpy_files(folder: Path) -> list[Path]:
    import numpy as np

    made = []
    for name, array in {
        "f32": np.arange(12, dtype=np.float32).reshape(3, 4), "f64_fortran": np.asfortranarray(np.ones((3, 2))),
        "u8": np.arange(5, dtype=np.uint8), "bool": np.array([True, False]), "scalar": np.array(2.5),
        "unicode": np.array(["ab", "cde"]), "bytes": np.array([b"x", b"yz"]),
        "structured": np.zeros(3, dtype=[("a", "<f4"), ("b", "<i8", (2,))]), "datetime": np.array(["2020-01-01"], "M8[D]"),
        "objects": np.array([1, "two", None, {"k": [1.5]}], dtype=object), "empty": np.zeros((0, 3)),
    }.items():
        path = folder / f"{name}.npy"
        np.save(path, array, allow_pickle=True)
        made.append(path)
    np.savez(folder / "arrays.npz", a=np.arange(3), b=np.array([1, "x"], dtype=object))
    np.savez_compressed(folder / "compressed.npz", a=np.arange(30.0), b=np.array([{"k": 1}], dtype=object))
    made += [folder / "arrays.npz", folder / "compressed.npz"]
    return made


def joblib_files(folder: Path) -> list[Path]:
    import joblib
    import numpy as np

    value = {"weights": np.arange(20.0).reshape(4, 5), "objects": np.array([1, "x"], dtype=object),
             "ints": np.arange(7, dtype=np.int16), "meta": {"name": "m", "n": 3}, "empty": np.zeros((0,))}
    made = []
    for name, compress in (("plain", 0), ("zlib", 3), ("gzip", ("gzip", 3)), ("bz2", ("bz2", 3)),
                           ("xz", ("xz", 3)), ("lzma", ("lzma", 3))):
        path = folder / f"{name}.joblib"
        joblib.dump(value, path, compress=compress)
        made.append(path)
    return made


def plain_pickles() -> dict[str, bytes]:
    value = {"list": [1, 2.5, "x", None, True], "tuple": (1, (2, 3)), "bytes": b"\xff" * 3, "set": {1, 2},
             "nested": {"a": {"b": [{"c": ()}]}}, "big": list(range(300)), "long": 2**100}
    return {f"protocol{p}": pickle.dumps(value, protocol=p) for p in range(6)}
