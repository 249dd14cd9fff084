"""safetensors structure: every header checked against the format's specification, and the
Hub's file-size limits. Headers only: no tensor data is read."""

from __future__ import annotations

from collections.abc import Iterator

from releasekit import lazy
from releasekit.context import Context
from releasekit.findings import Finding, Severity
from releasekit.registry import Rule, check
from releasekit.release import FileKind
from releasekit.safetensors_format import LFS_POINTER_MAX, lfs_pointer

# Loaded when a weights check runs (in the weights lane, see lanes.py), not when the registry
# lists the rules before the lanes fork.
_checkpoints = lazy.module("releasekit.checks._checkpoints")

RK100 = Rule.define(
    "RK100", "no-weights", category="weights", severity=Severity.WARNING,
    summary="The release ships no model weights at all.",
    doc="""
    What it finds: a release with no weight file anywhere: no safetensors, no pickled checkpoint
    (`.bin`, `.pt`, `.pth`, `.ckpt`, ...), no GGUF, ONNX, Keras/HDF5, Flax msgpack, TFLite or Core
    ML file. It is an error when a root `config.json` describes a model (the model cannot load),
    and a warning otherwise.

    Why it matters: an audit of a model release that has no weights audited nothing that users
    will run: usually the wrong folder was checked, or the upload step that adds the weights has
    not run yet.

    How to fix: check the folder that holds the weights. If the release is really code only
    (an inference or training repository whose weights are published elsewhere), say so with
    `ignore = ["RK100"]` in releasekit.toml.
    """,
)
RK109 = Rule.define(
    "RK109", "lfs-pointer", category="weights", severity=Severity.ERROR,
    summary="A weight file is a Git LFS pointer, not the weights (run `git lfs pull`).",
    doc="""
    What it finds: a safetensors, pickle, GGUF, ONNX or other weight file that is a Git LFS
    pointer: a small text file starting `version https://git-lfs.github.com/spec/v1` that names
    the real file's hash and size.

    Why it matters: a clone made without Git LFS (or with `GIT_LFS_SKIP_SMUDGE=1`) has pointers
    where the weights should be; publishing or packaging that folder ships 130-byte files instead
    of the model. Read as safetensors, the pointer's first bytes are an absurd header length.

    How to fix: run `git lfs pull` in the repository (install Git LFS first: `git lfs install`),
    then check again.
    """,
)
RK101 = Rule.define(
    "RK101", "safetensors-header", category="weights", severity=Severity.ERROR,
    summary="A safetensors header cannot be read: bad length, not a UTF-8 JSON object, duplicate keys.",
    doc="""
    What it finds: a `.safetensors` file whose 8-byte header length runs past the file or over the
    format's 100 MB cap, whose header is not UTF-8 JSON, is not an object, has duplicate keys or
    NaN/Infinity constants, or has a tensor entry without `dtype`, `shape` and `data_offsets`.

    Why it matters: loaders reject such a file (or, worse, parsers disagree about it: with
    duplicate keys, two tools can see two different tensors under one name). It usually means a
    truncated upload or a file that is not safetensors at all.

    How to fix: re-save the checkpoint with `safetensors.torch.save_file` (or `releasekit
    convert`), and compare the file's size and checksum with the original.
    """,
)
RK102 = Rule.define(
    "RK102", "safetensors-dtype", category="weights", severity=Severity.ERROR,
    summary="A tensor's dtype is not one the safetensors format defines.",
    doc="""
    What it finds: a tensor whose `dtype` is not one of BOOL, U8, I8, I16, U16, I32, U32, I64, U64,
    F16, BF16, F32, F64, C64, F8_E4M3, F8_E5M2, F8_E8M0, F4, F6_E2M3, F6_E3M2.

    Why it matters: no safetensors reader can load the tensor; the whole file fails to load.

    How to fix: save the tensor in a supported dtype, or upgrade the tool that wrote the file.
    """,
)
RK103 = Rule.define(
    "RK103", "safetensors-shape-size", category="weights", severity=Severity.ERROR,
    summary="A tensor's shape times its dtype size differs from its byte span.",
    doc="""
    What it finds: a tensor whose shape is not a list of non-negative integers, or whose element
    count times the dtype's size is not exactly `end - begin` of its `data_offsets`.

    Why it matters: the reader would interpret the wrong bytes as this tensor (or refuse the file).

    How to fix: the writer is broken or the header was edited by hand: re-save the checkpoint.
    """,
)
RK104 = Rule.define(
    "RK104", "safetensors-offsets", category="weights", severity=Severity.ERROR,
    summary="Tensor byte spans are malformed, overlap, or leave gaps in the data buffer.",
    doc="""
    What it finds: `data_offsets` that are not `[begin, end]` integers with begin <= end, or spans
    that, sorted, do not start at 0 and touch each other without gap or overlap.

    Why it matters: the specification requires the buffer to be tiled exactly. Overlapping spans
    alias two tensors onto the same bytes; gaps hide bytes no tensor owns (a place to smuggle data).

    How to fix: re-save the checkpoint with a conforming writer.
    """,
)
RK105 = Rule.define(
    "RK105", "safetensors-file-length", category="weights", severity=Severity.ERROR,
    summary="The file is not exactly 8 + header + data bytes long (truncated or padded).",
    doc="""
    What it finds: a file shorter than its tensors need (truncated download or upload) or longer
    than they need (trailing bytes after the last tensor).

    Why it matters: a truncated file fails to load; trailing bytes are rejected by the reference
    implementation and may hide data.

    How to fix: re-download or re-save the file; compare with the original's size and checksum.
    """,
)
RK106 = Rule.define(
    "RK106", "safetensors-metadata", category="weights", severity=Severity.ERROR,
    summary="`__metadata__` is not an object mapping strings to strings.",
    doc="""
    What it finds: a `__metadata__` entry that is not a JSON object, or that has non-string values.

    Why it matters: the format defines metadata as string -> string; the reference reader rejects
    anything else, so the file will not load.

    How to fix: store metadata values as strings (e.g. `json.dumps` them).
    """,
)
RK107 = Rule.define(
    "RK107", "hub-file-too-large", category="weights", severity=Severity.ERROR,
    summary="A file is over the Hugging Face Hub's 500 GB per-file limit.",
    doc="""
    What it finds: a file of the release larger than 500 GB.

    Why it matters: the Hub refuses the upload.

    How to fix: shard the checkpoint (`releasekit convert --max-shard-size 5GB`) or split the file.
    """,
)
RK108 = Rule.define(
    "RK108", "hub-file-large", category="weights", severity=Severity.WARNING,
    summary="A file is over the 200 GB the Hugging Face Hub recommends per file.",
    doc="""
    What it finds: a file of the release larger than 200 GB (and at most 500 GB).

    Why it matters: the Hub recommends smaller files; large ones upload and download less
    reliably and cannot be resumed piecewise.

    How to fix: shard the checkpoint into files of a few GB (the Hub's convention is 5 GB).
    """,
)

HUB_MAX_FILE = 500 * 10**9
HUB_RECOMMENDED_FILE = 200 * 10**9
_RULE_BY_CODE = {"header": RK101, "dtype": RK102, "shape": RK103, "offsets": RK104, "length": RK105,
                 "metadata": RK106, "lfs": RK109}
# Weight formats besides safetensors and pickles (FileKind.PICKLE covers .bin, .pt, .pth, .ckpt...).
WEIGHT_SUFFIXES = frozenset({".gguf", ".ggml", ".onnx", ".h5", ".hdf5", ".keras", ".msgpack", ".tflite", ".mlmodel",
                             ".mlpackage", ".pb", ".ot", ".llamafile", ".nemo", ".engine", ".plan"})
_MAX_PER_FILE = 20  # a broken writer can produce one problem per tensor; keep the report readable


@check(RK100, RK109)
def weight_files(ctx: Context) -> Iterator[Finding]:
    """Weights are shipped, and are not Git LFS pointers (safetensors pointers: see the header check)."""
    release = ctx.release
    weights = [f for f in release.regular_files()
               if f.kind in (FileKind.SAFETENSORS, FileKind.PICKLE) or f.suffix in WEIGHT_SUFFIXES]
    if not weights:
        if release.top_level("config.json") is not None:
            yield RK100.finding(".", "config.json describes a model but the release ships no weight file: add the "
                                     "weights (safetensors)", severity=Severity.ERROR)
        else:
            yield RK100.finding(".", "no weight file in the release (safetensors, pickle, GGUF, ONNX...): check the "
                                     "folder, or ignore RK100 for a code-only release")
    for f in weights:
        if f.kind is FileKind.SAFETENSORS or f.size > LFS_POINTER_MAX:
            continue
        try:
            pointer = lfs_pointer(ctx.read_bytes(f, LFS_POINTER_MAX + 1))
        except OSError:
            continue  # unreadable: RK002
        if pointer is not None:
            yield RK109.finding(f.path, pointer)


@check(RK101, RK102, RK103, RK104, RK105, RK106, RK109)
def safetensors_structure(ctx: Context) -> Iterator[Finding]:
    for path, header in _checkpoints.headers(ctx).items():
        problems = header.problems
        for problem in problems[:_MAX_PER_FILE]:
            yield _RULE_BY_CODE[problem.code].finding(path, problem.message)
        if len(problems) > _MAX_PER_FILE:
            rest = problems[_MAX_PER_FILE:]
            yield _RULE_BY_CODE[rest[0].code].finding(
                path, f"and {len(rest)} more problem(s) of this file's header not listed")


@check(RK107, RK108)
def hub_file_size(ctx: Context) -> Iterator[Finding]:
    for f in ctx.release.regular_files():
        if f.size > HUB_MAX_FILE:
            yield RK107.finding(f.path, f"file is {f.size / 1e9:,.1f} GB, over the Hub's 500 GB per-file limit: "
                                        "shard it")
        elif f.size > HUB_RECOMMENDED_FILE:
            yield RK108.finding(f.path, f"file is {f.size / 1e9:,.1f} GB, over the 200 GB the Hub recommends: "
                                        "shard it into files of a few GB")
