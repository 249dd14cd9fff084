"""The whole of `releasekit convert` minus the terminal: gate, load, plan, write, verify, place.

Order matters and is the safety argument:
1. torch >= 2.6 (where torch is used) and the pickle analysis of every input, before any input is
   unpickled;
2. load through a restricted path only: torch zip checkpoints through torchzip.py's closed table
   (no torch), anything else through torch.load(weights_only=True) (readers.py), mmapped where the
   format allows;
3. plan everything (names, shards, aliases, index) before writing anything;
4. write each file under a temporary name in the staging folder, verify it (direct engine: while
   writing, against the zip's CRC-32; torch engine: bit for bit with torch's tensors), fsync
   (verifying first overlaps the comparison with the disk writing what was just written; the
   file counts as verified only once both are done);
5. only when every file has verified: rename into place, write the index and config.json
   atomically, remove the staging folder; `--remove-originals` only after that.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import shutil
import time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from releasekit.conversion.discovery import Discovery, discover
from releasekit.conversion.errors import ConvertError, NeedsTorchError, VerificationError
from releasekit.conversion.progress import NoProgress, Progress
from releasekit.conversion.report import ConvertReport, WrittenFile
from releasekit.conversion.resume import Previous, Staging
from releasekit.conversion.safety import analyse, require_torch
from releasekit.conversion.sizes import DEFAULT_MAX_SHARD_SIZE
from releasekit.errors import MissingExtraError
from releasekit.fsutil import write_atomic
from releasekit.safetensors_format import encode_header

if TYPE_CHECKING:  # the planner needs torch, imported only after the gates
    from releasekit.conversion.planner import Plan

MAX_CONFIG_BYTES = 16 * 1024 * 1024


ENGINES = ("auto", "direct", "torch")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConvertOptions:
    output: Path | None = None  # default: beside the inputs
    max_shard_size: int = DEFAULT_MAX_SHARD_SIZE
    strip_prefix: str | None = None
    dequantize_fp8: bool = False
    dry_run: bool = False
    remove_originals: bool = False
    overwrite: bool = False
    prefer_names: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # entries left out on purpose (`optimizer`), by the name they would get
    verify_with_torch: bool = False  # also compare every output with torch.load(weights_only=True, mmap=True)
    # "direct": read torch zip checkpoints without torch (the default where every input allows it);
    # "torch": through torch.load(weights_only=True); "auto": direct, else torch.
    engine: str = "auto"


def convert(
    path: str | os.PathLike[str], options: ConvertOptions = ConvertOptions(), *, progress: Progress | None = None
) -> ConvertReport:
    """Convert the checkpoints at `path`; see the module docstring for the order of things."""
    if options.engine not in ENGINES:
        raise ConvertError(f"engine {options.engine!r} is not one of {', '.join(ENGINES)}")
    progress = progress or NoProgress()
    clock = _Clock()
    direct = options.engine != "torch" and not options.dequantize_fp8
    if not direct or options.verify_with_torch:
        require_torch()  # before anything is read: the torch path needs a torch without CVE-2025-32434
    found = discover(Path(path), dequantize_fp8=options.dequantize_fp8)
    inputs = [f for unit in found.units for f in unit.files]
    if direct and any(f.format != "zip" for f in inputs):
        other = next(f for f in inputs if f.format != "zip")
        if options.engine == "direct":
            raise ConvertError(f"{other.rel}: not a torch zip checkpoint; only torch reads its format")
        direct = False
        _torch_for(f"{other.rel}: torch's {'legacy (pre-1.6)' if other.format == 'legacy' else other.format} format")
    notes = analyse(found.root, inputs)
    clock.lap("analyse")

    readers: Any = None
    summaries: list[Any] = []
    if direct:
        from releasekit.conversion.direct import DirectPool
        from releasekit.conversion.torchzip import NeedsTorch

        readers = DirectPool(inputs, strip_prefix=options.strip_prefix, exclude=options.exclude)
        try:
            summaries = _summaries(readers, options)
        except NeedsTorch as exc:
            readers.close()
            readers = None
            if options.engine == "direct":
                raise ConvertError(f"{exc}; only torch can read it") from None
            _torch_for(str(exc))
    if readers is None:
        from releasekit.conversion.readers import ReaderPool  # torch-backed: only after the gates

        readers = ReaderPool(inputs, strip_prefix=options.strip_prefix, exclude=options.exclude)
        try:
            summaries = _summaries(readers, options)
        except BaseException:
            readers.close()
            raise
    try:
        return _run(found, readers, summaries, tuple(notes), options, progress, clock)
    finally:
        readers.close()


def _torch_for(reason: str) -> None:
    """torch is needed after all (a checkpoint uses what only torch reads): say so in one line."""
    try:
        require_torch()
    except MissingExtraError:
        raise NeedsTorchError(
            f"{reason}: converting it needs torch, which is not installed: pip install 'releasekit[torch]'"
        ) from None


def _summaries(readers: Any, options: ConvertOptions) -> list[Any]:
    from releasekit.conversion.inventory import summarize

    summaries = []
    for position in range(len(readers.inputs)):
        summaries.append(summarize(readers.get(position), position, options.prefer_names))
        readers.drop_legacy()  # a legacy file is in memory: keep only its summary
    return summaries


def _run(
    found: Discovery,
    readers: Any,
    summaries: list[Any],
    notes: tuple[Any, ...],
    options: ConvertOptions,
    progress: Progress,
    clock: _Clock,
) -> ConvertReport:
    from releasekit.conversion.planner import Plan, plan_unit
    from releasekit.conversion.writer import fsync_file

    plan = Plan(inputs=tuple(readers.inputs), units=tuple(_plan_units(found, summaries, options, plan_unit)))
    out_root = Path(options.output).absolute() if options.output is not None else found.root
    targets = _targets(plan)
    _check_not_inputs(found, out_root, targets)
    _check_no_links(out_root, targets)
    staging = Staging(out_root, _fingerprint(plan, found, options))
    staging.refuse_link()
    previous = staging.inspect() if out_root.is_dir() else Previous({}, False, False)
    _check_existing(out_root, targets, previous, options.overwrite)
    configs = {
        u.config_rel: _bf16_config(u.unit.config, u.unit.label) for u in plan.units if u.config_rel and u.unit.config
    }
    clock.lap("load_and_plan")
    report = functools.partial(
        ConvertReport,
        root=str(found.root),
        output_root=str(out_root),
        plan=plan,
        notes=notes,
        ignored=found.ignored,
        engine=_engine_name(readers),
    )

    if options.dry_run:
        files = tuple(
            WrittenFile(rel=f.rel, size=_planned_size(f), tensors=len(f.tensors), resumed=f.rel in previous.verified)
            for f in plan.files
        )
        extra = tuple(rel for u in plan.units for rel in (u.index_rel, u.config_rel) if rel)
        removed = tuple(rel for u in plan.units for rel in _originals(u)) if options.remove_originals else ()
        return report(dry_run=True, files=files, extra_files=extra, removed=removed, verified=False, seconds=clock.laps)

    todo = [f for f in plan.files if f.rel not in previous.verified]
    out_root.mkdir(parents=True, exist_ok=True)
    _check_space(out_root, sum(_planned_size(f) for f in todo))
    staging.begin(previous)
    write_and_verify = _engine_for(readers)
    with_torch = _torch_verifier(readers, options)
    passes = 3 if with_torch is not None else 2
    progress.start(passes * sum(f.nbytes for f in todo), sum(len(f.tensors) for f in todo))
    try:
        for planned in todo:
            staged = staging.staged(planned.rel)
            try:
                size = write_and_verify(staged, planned, progress, clock)
                if with_torch is not None:
                    progress.update(stage=f"verifying {planned.rel} with torch")
                    with_torch(staged, planned, progress)
            except VerificationError:
                staged.unlink(missing_ok=True)  # never kept, never renamed: a rerun writes it again
                raise
            clock.lap("verify")
            fsync_file(staged)
            staging.mark_verified(planned.rel, size)
            clock.lap("fsync")
        staging.begin_finalizing()
        extra = _finalize(plan, staging, out_root, configs)
        clock.lap("finalize")
    finally:
        progress.finish()
        if with_torch is not None:
            with_torch.close()
    files = tuple(
        WrittenFile(
            rel=f.rel,
            size=(out_root / f.rel).stat().st_size,
            tensors=len(f.tensors),
            resumed=f.rel in previous.verified,
        )
        for f in plan.files
    )
    removed = _remove_originals(plan) if options.remove_originals else ()
    return report(dry_run=False, files=files, extra_files=extra, removed=removed, verified=True, seconds=clock.laps)


def _engine_name(readers: Any) -> str:
    from releasekit.conversion.direct import DirectPool

    return "direct" if isinstance(readers, DirectPool) else "torch"


def _engine_for(readers: Any) -> Any:
    """write_and_verify(staged, planned, progress, clock) -> size, for the engine that read the
    inputs: the direct engine verifies while it writes (PipelinedVerify); the torch engine writes,
    then compares every byte with torch's tensors (verify.verify_file, looked up at call time so a
    test can stand in for it)."""
    from releasekit.conversion import direct, verify
    from releasekit.conversion.writer import write_file

    if isinstance(readers, direct.DirectPool):
        sources: Any = direct.DirectSources(readers)

        def pipelined(staged: Path, planned: Any, progress: Progress, clock: _Clock) -> int:
            progress.update(stage=f"writing and verifying {planned.rel}")
            checker = direct.PipelinedVerify(staged, planned, sources, progress)
            try:
                size = write_file(staged, planned, sources, progress, on_written=checker.written)
            except BaseException:
                checker.abort()
                raise
            clock.lap("write")
            checker.finish()
            return size

        return pipelined
    from releasekit.conversion.sources import Sources

    sources = Sources(readers)

    def sequential(staged: Path, planned: Any, progress: Progress, clock: _Clock) -> int:
        progress.update(stage=f"writing {planned.rel}")
        size = write_file(staged, planned, sources, progress)
        clock.lap("write")
        progress.update(stage=f"verifying {planned.rel}")
        verify.verify_file(staged, planned, sources, progress)
        return size

    return sequential


class _TorchCheck:
    """--verify-with-torch: compare each written file with the checkpoint as torch.load (weights_only,
    mmap) gives it, on top of the direct engine's own verification."""

    def __init__(self, readers: Any, options: ConvertOptions) -> None:
        from releasekit.conversion.readers import ReaderPool
        from releasekit.conversion.sources import Sources

        self.pool = ReaderPool(readers.inputs, strip_prefix=options.strip_prefix, exclude=options.exclude)
        self.sources = Sources(self.pool)

    def __call__(self, path: Path, planned: Any, progress: Progress) -> None:
        from releasekit.conversion import verify

        verify.verify_file(path, planned, self.sources, progress)

    def close(self) -> None:
        self.pool.close()


def _torch_verifier(readers: Any, options: ConvertOptions) -> _TorchCheck | None:
    if not options.verify_with_torch or _engine_name(readers) == "torch":
        return None  # the torch engine's own verification already compares with torch.load's tensors
    return _TorchCheck(readers, options)


class _Clock:
    """Seconds spent in each phase (summed over files), for the report and the benchmark."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self._last, 4)
        self._last = now


def _plan_units(found: Discovery, summaries: list[Any], options: ConvertOptions, plan_unit: Any) -> list[Any]:
    units = []
    position = 0
    for unit in found.units:
        count = len(unit.files)
        units.append(
            plan_unit(
                unit,
                summaries[position : position + count],
                max_shard_size=options.max_shard_size,
                dequantize_fp8=options.dequantize_fp8,
            )
        )
        position += count
    return units


def _targets(plan: Plan) -> dict[str, str]:
    """Every output path -> the checkpoint that writes it; two checkpoints may not write one path."""
    owners: dict[str, str] = {}
    for unit in plan.units:
        for rel in [f.rel for f in unit.files] + [r for r in (unit.index_rel, unit.config_rel) if r]:
            if rel in owners:
                raise ConvertError(
                    f"{owners[rel]} and {unit.unit.label} would both write {rel}; "
                    "convert them one at a time with --output"
                )
            owners[rel] = unit.unit.label
    return owners


def _check_not_inputs(found: Discovery, out_root: Path, targets: dict[str, str]) -> None:
    read = {f.path.resolve() for u in found.units for f in u.files}
    read |= {u.index.path.resolve() for u in found.units if u.index}
    read |= {u.config.resolve() for u in found.units if u.config}
    for rel in targets:
        if (out_root / rel).resolve() in read:
            raise ConvertError(f"{rel}: writing it would replace an input; choose another folder with --output")


def _check_no_links(out_root: Path, targets: dict[str, str]) -> None:
    """Every folder an output goes into, below the output folder, is a real folder: writing through
    a link would write outside the output folder."""
    for rel in targets:
        parts = PurePosixPath(rel).parts[:-1]
        for depth in range(1, len(parts) + 1):
            folder = out_root.joinpath(*parts[:depth])
            if folder.is_symlink():
                raise ConvertError(
                    f"{'/'.join(parts[:depth])} in {out_root}: a symbolic link; convert writes only into real "
                    "folders inside the output folder: remove the link or choose another folder with --output"
                )


def _check_existing(out_root: Path, targets: dict[str, str], previous: Previous, overwrite: bool) -> None:
    if overwrite:
        return
    for rel in targets:
        ours = previous.finalizing and rel in previous.verified
        if (out_root / rel).exists() and not ours:
            raise ConvertError(
                f"{rel} already exists in {out_root}; pass --overwrite to replace it, or write elsewhere with --output"
            )


def _check_space(out_root: Path, needed: int) -> None:
    free = shutil.disk_usage(out_root).free
    if needed > free:
        raise ConvertError(f"{out_root}: {needed:,} bytes needed for the output but only {free:,} free")


def _planned_size(planned: Any) -> int:
    header, _ = encode_header([(t.name, t.dtype, t.shape) for t in planned.tensors], planned.metadata)
    return len(header) + planned.nbytes


def _fingerprint(plan: Plan, found: Discovery, options: ConvertOptions) -> str:
    stats = []
    for unit in found.units:
        for path in [f.path for f in unit.files] + [p for p in (unit.index and unit.index.path, unit.config) if p]:
            st = path.stat()
            stats.append([str(path), st.st_size, st.st_mtime_ns])
    document = {
        "plan": plan.describe(),
        "stats": stats,
        "max_shard_size": options.max_shard_size,
        "strip_prefix": options.strip_prefix,
        "dequantize_fp8": options.dequantize_fp8,
        "exclude": sorted(options.exclude),
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode("utf-8")).hexdigest()


def _finalize(plan: Plan, staging: Staging, out_root: Path, configs: dict[str, bytes]) -> tuple[str, ...]:
    """config.json first, then every verified file renamed into place, the index last (the index
    is what makes a sharded checkpoint look complete); then the staging folder goes."""
    written: list[str] = []
    for rel, data in configs.items():
        write_atomic(out_root / rel, data)
        written.append(rel)
    for planned in plan.files:
        staging.place(planned.rel)
    for unit in plan.units:
        if unit.index_rel and unit.index is not None:
            text = json.dumps(unit.index, indent=2, sort_keys=True) + "\n"
            write_atomic(out_root / unit.index_rel, text.encode("utf-8"))
            written.append(unit.index_rel)
    for folder in sorted({(out_root / f.rel).parent for f in plan.files}):
        _fsync_dir(folder)
    staging.discard()
    return tuple(written)


def _bf16_config(path: Path, label: str) -> bytes:
    """config.json for BF16 weights: no quantization_config, torch_dtype (and dtype) bfloat16.

    The reference fp8_cast_bf16.py leaves config.json alone, so transformers would still try to
    load the BF16 weights as FP8."""
    if path.is_symlink():
        raise ConvertError(
            f"{path.name} beside {label}: a symbolic link; convert never reads through links, whose target may "
            "lie outside the release (RK601): replace it with the file itself"
        )
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConvertError(f"{path.name} beside {label} is larger than {MAX_CONFIG_BYTES // 2**20} MiB")
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise ConvertError(f"{path.name} beside {label} cannot be read as JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ConvertError(f"{path.name} beside {label} is not a JSON object")
    config.pop("quantization_config", None)
    config["torch_dtype"] = "bfloat16"
    if "dtype" in config:  # transformers >= 4.56 names it dtype
        config["dtype"] = "bfloat16"
    return (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _originals(unit: Any) -> list[str]:
    return [f.rel for f in unit.unit.files] + ([unit.unit.index.rel] if unit.unit.index else [])


def _remove_originals(plan: Plan) -> tuple[str, ...]:
    removed = []
    for unit in plan.units:
        paths = [f.path for f in unit.unit.files] + ([unit.unit.index.path] if unit.unit.index else [])
        for path, rel in zip(paths, _originals(unit), strict=True):
            path.unlink()
            removed.append(rel)
    return tuple(removed)
