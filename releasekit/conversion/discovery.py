"""Find what to convert: single checkpoint files and sharded checkpoints with their index.

A folder is searched the way the Hub's conversion bot does, with names as the guide:
`pytorch_model.bin`, `*model.bin` (adapter_model.bin, diffusion_pytorch_model.bin), `*.pt`, `*.pth`,
`*.ckpt`, and every shard named by a `*.bin.index.json`. Other `.bin` files (`training_args.bin`
is a pickled Python object, not weights) are listed as ignored rather than converted, so nothing
is skipped silently. With `--dequantize-fp8`, safetensors checkpoints are inputs too.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from releasekit.conversion.errors import ConvertError
from releasekit.conversion.staging import STAGING_DIR
from releasekit.errors import NotAReleaseError, UsageError
from releasekit.release import walk

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt")
_SHARD_NAME = re.compile(r"^(?P<base>.+)-\d{5}-of-\d{5}\.(?P<ext>bin|safetensors)$")
MAX_INDEX_BYTES = 64 * 1024 * 1024


@dataclasses.dataclass(frozen=True, kw_only=True)
class InputFile:
    """One file that is read: `rel` (POSIX, relative to the conversion root) names it in messages."""

    path: Path
    rel: str
    size: int
    format: str  # "zip" (torch >= 1.6), "legacy" (torch's older pickle format) or "safetensors"

    @property
    def is_pickle(self) -> bool:
        return self.format in ("zip", "legacy")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Unit:
    """One checkpoint: a single file, or the shards one index names (converted together)."""

    files: tuple[InputFile, ...]
    index: InputFile | None  # the input `*.index.json`, when sharded
    directory: str  # relative folder of the inputs ("" at the root); outputs mirror it
    base: str  # output name stem: "model" gives model.safetensors or model-0000i-of-0000n.safetensors
    config: Path | None  # config.json beside the checkpoint (updated by --dequantize-fp8)

    @property
    def label(self) -> str:
        return (self.index or self.files[0]).rel


@dataclasses.dataclass(frozen=True, kw_only=True)
class Discovery:
    root: Path  # the folder every `rel` is relative to
    units: tuple[Unit, ...]
    ignored: tuple[str, ...]  # checkpoint-looking files that are not converted, and why


def sniff_format(path: Path, rel: str) -> str:
    """zip, legacy or safetensors, from the first bytes; anything else is not a checkpoint we read."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(9)
    except OSError as exc:
        raise ConvertError(f"{rel}: cannot be read: {exc.strerror or exc}") from None
    if path.name.endswith(".safetensors"):
        if len(head) == 9 and head[8:9] == b"{":
            return "safetensors"
        raise ConvertError(f"{rel}: not a safetensors file (its header does not start with a JSON object)")
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "legacy"
    raise ConvertError(f"{rel}: not a PyTorch checkpoint (neither torch's zip format nor a pickle)")


def output_base(stem: str) -> str:
    """transformers' file names: pytorch_model -> model; every other stem is kept (diffusers keeps its own)."""
    return "model" if stem == "pytorch_model" else stem


def discover(path: Path, *, dequantize_fp8: bool = False) -> Discovery:
    """The checkpoints under `path` (a folder) or `path` itself (a file or an index)."""
    path = Path(path)
    if not os.path.lexists(path):
        raise NotAReleaseError(f"{path}: no such file or directory")
    if path.is_dir():
        return _discover_folder(path.resolve(), dequantize_fp8)
    return _discover_file(path, dequantize_fp8)


def _discover_file(path: Path, dequantize_fp8: bool) -> Discovery:
    root = path.absolute().parent
    name = path.name
    if name.endswith(".index.json"):
        unit = _unit_from_index(root, name, dequantize_fp8)
        return Discovery(root=root, units=(unit,), ignored=())
    if name.endswith(".safetensors") and not dequantize_fp8:
        raise UsageError(f"{name}: already safetensors; only --dequantize-fp8 reads safetensors input")
    if not name.endswith(PICKLE_SUFFIXES + (".safetensors",)):
        raise UsageError(
            f"{name}: not a checkpoint name convert knows ({', '.join(PICKLE_SUFFIXES)}, an index, "
            "or .safetensors with --dequantize-fp8)"
        )
    if _SHARD_NAME.match(name):
        raise UsageError(f"{name}: one shard of a sharded checkpoint; convert its index (*.index.json) or the folder")
    unit = _single_unit(root, name)
    return Discovery(root=root, units=(unit,), ignored=())


def _discover_folder(root: Path, dequantize_fp8: bool) -> Discovery:
    release = walk(root)
    names_by_dir: dict[str, set[str]] = {}
    for f in release.files:
        parts = PurePosixPath(f.path).parts
        if STAGING_DIR in parts:
            continue
        parent = str(PurePosixPath(f.path).parent)
        names_by_dir.setdefault("" if parent == "." else parent, set()).add(PurePosixPath(f.path).name)
    units: list[Unit] = []
    ignored: list[str] = []
    for directory in sorted(names_by_dir):
        names = names_by_dir[directory]
        claimed: set[str] = set()
        indexes = sorted(
            n
            for n in names
            if n.endswith(".bin.index.json") or (dequantize_fp8 and n.endswith(".safetensors.index.json"))
        )
        for index_name in indexes:
            unit = _unit_from_index(root, _join(directory, index_name), dequantize_fp8)
            units.append(unit)
            claimed.add(index_name)
            claimed.update(PurePosixPath(f.rel).name for f in unit.files)
        for name in sorted(names - claimed):
            rel = _join(directory, name)
            shard = _SHARD_NAME.match(name)
            if shard and (shard.group("ext") == "bin" or dequantize_fp8):
                raise ConvertError(
                    f"{rel}: a shard without an index (*.index.json) naming it; "
                    "convert needs the index to know the whole checkpoint"
                )
            if (
                name.endswith((".pt", ".pth", ".ckpt"))
                or name.endswith("model.bin")
                or (dequantize_fp8 and name.endswith(".safetensors"))
            ):
                units.append(_single_unit(root, rel))
            elif name.endswith(".bin"):
                ignored.append(
                    f"{rel}: not a weights file name (convert takes *model.bin); pass it explicitly to convert it"
                )
    if not units:
        wanted = "pytorch_model.bin, *.pt, *.pth, *.ckpt or a *.bin.index.json"
        if dequantize_fp8:
            wanted += " (or safetensors, with --dequantize-fp8)"
        raise ConvertError(f"{root}: no checkpoint to convert (looked for {wanted})")
    return Discovery(root=root, units=tuple(units), ignored=tuple(ignored))


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


def _size(path: Path, rel: str) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise ConvertError(f"{rel}: cannot be read: {exc.strerror or exc}") from None


def refuse_links(root: Path, rel: str) -> None:
    """A path inside the release that is a symbolic link, or passes through one, is never read:
    what it points at may lie outside the release (`check` reports such links as RK601)."""
    current = root
    shown = []
    for part in PurePosixPath(rel).parts:
        current = current / part
        shown.append(part)
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return  # missing: the caller says so
        except OSError as exc:
            raise ConvertError(f"{'/'.join(shown)}: cannot be read: {exc.strerror or exc}") from None
        if stat.S_ISLNK(mode):
            try:
                target = os.readlink(current)
            except OSError:
                target = "?"
            raise ConvertError(
                f"{'/'.join(shown)}: a symbolic link (to {target!r}); convert never reads through links, whose "
                "target may lie outside the release (RK601): replace it with the file itself"
            )


def _input(root: Path, rel: str) -> InputFile:
    path = root / rel
    refuse_links(root, rel)
    size = _size(path, rel)
    if not stat.S_ISREG(os.lstat(path).st_mode):
        raise ConvertError(f"{rel}: not a regular file")
    return InputFile(path=path, rel=rel, size=size, format=sniff_format(path, rel))


def _config_beside(root: Path, directory: str) -> Path | None:
    """config.json beside a checkpoint (read with --dequantize-fp8): links are refused when read."""
    candidate = (root / directory / "config.json") if directory else root / "config.json"
    return candidate if os.path.lexists(candidate) else None


def _single_unit(root: Path, rel: str) -> Unit:
    pure = PurePosixPath(rel)
    directory = "" if str(pure.parent) == "." else str(pure.parent)
    stem = pure.name[: -len(".safetensors")] if pure.name.endswith(".safetensors") else pure.stem
    return Unit(
        files=(_input(root, rel),),
        index=None,
        directory=directory,
        base=output_base(stem),
        config=_config_beside(root, directory),
    )


def read_index(path: Path, rel: str) -> dict[str, str]:
    """The weight_map of a `*.index.json`: tensor name -> shard file name in the same folder."""
    try:
        if path.stat().st_size > MAX_INDEX_BYTES:
            raise ConvertError(f"{rel}: larger than {MAX_INDEX_BYTES // 2**20} MiB; not a checkpoint index")
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise ConvertError(f"{rel}: cannot be read: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise ConvertError(f"{rel}: not valid JSON: {exc}") from None
    weight_map = document.get("weight_map") if isinstance(document, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise ConvertError(f'{rel}: no "weight_map" object (tensor name -> shard file)')
    for key, value in weight_map.items():
        if not isinstance(value, str) or not value or "/" in value or "\\" in value or value in (".", ".."):
            raise ConvertError(f"{rel}: weight_map entry {key!r} names {value!r}, not a file beside the index")
    return weight_map


def _unit_from_index(root: Path, rel: str, dequantize_fp8: bool) -> Unit:
    pure = PurePosixPath(rel)
    directory = "" if str(pure.parent) == "." else str(pure.parent)
    if pure.name.endswith(".safetensors.index.json"):
        if not dequantize_fp8:
            raise UsageError(f"{rel}: indexes safetensors, which only --dequantize-fp8 reads")
        stem = pure.name[: -len(".safetensors.index.json")]
    elif pure.name.endswith(".bin.index.json"):
        stem = pure.name[: -len(".bin.index.json")]
    else:
        raise UsageError(f"{rel}: not a checkpoint index (*.bin.index.json or *.safetensors.index.json)")
    index = _input_index(root, rel)
    shard_names = _ordered_unique(read_index(index.path, rel).values())
    files = []
    for shard in shard_names:
        shard_rel = _join(directory, shard)
        refuse_links(root, shard_rel)
        if not (root / shard_rel).is_file():
            raise ConvertError(f"{rel}: names shard {shard}, which is missing")
        files.append(_input(root, shard_rel))
    return Unit(
        files=tuple(files),
        index=index,
        directory=directory,
        base=output_base(stem),
        config=_config_beside(root, directory),
    )


def _input_index(root: Path, rel: str) -> InputFile:
    path = root / rel
    refuse_links(root, rel)
    return InputFile(path=path, rel=rel, size=_size(path, rel), format="index")


def _ordered_unique(values: Iterable[str]) -> list[str]:
    """Shard files in name order (model-00001 before model-00002), each once."""
    return sorted(set(values))
