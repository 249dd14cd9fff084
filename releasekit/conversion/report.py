"""The result of a convert run: what was read, written, aliased, skipped, dequantized, verified.

One frozen value that the CLI renders as text lines or as JSON (`--format json`); the JSON shape
is public (documented in docs/readme/convert.md), so keep it stable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from releasekit.conversion.sizes import format_size
from releasekit.findings import Finding

if TYPE_CHECKING:
    from releasekit.conversion.planner import Plan

SCHEMA_VERSION = "1.0"
CONVERT_ME = "RK205"  # the pickle rule that says a safe pickle should become safetensors


@dataclasses.dataclass(frozen=True, kw_only=True)
class WrittenFile:
    rel: str
    size: int  # bytes on disk (the planned size for a dry run)
    tensors: int
    resumed: bool  # verified by an earlier, interrupted run and kept


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConvertReport:
    root: str
    output_root: str
    dry_run: bool
    plan: Plan
    files: tuple[WrittenFile, ...]
    extra_files: tuple[str, ...]  # indexes and config.json written
    notes: tuple[Finding, ...]  # pickle findings below error
    ignored: tuple[str, ...]
    removed: tuple[str, ...]
    verified: bool
    engine: str = "direct"  # "direct": read from the zip without torch; "torch": through torch.load
    seconds: Mapping[str, float] = dataclasses.field(default_factory=dict)  # time per phase

    @property
    def tensor_count(self) -> int:
        return sum(len(f.tensors) for f in self.plan.files)

    @property
    def total_size(self) -> int:
        return sum(f.nbytes for f in self.plan.files)

    def to_dict(self) -> dict[str, Any]:
        units = self.plan.units
        return {
            "schema_version": SCHEMA_VERSION,
            "command": "convert",
            "root": self.root,
            "output": self.output_root,
            "dry_run": self.dry_run,
            "verified": self.verified,
            "engine": self.engine,
            "inputs": [{"path": i.rel, "format": i.format, "size": i.size} for i in self.plan.inputs],
            "outputs": [
                {"path": f.rel, "size": f.size, "tensors": f.tensors, "resumed": f.resumed} for f in self.files
            ],
            "extra_files": list(self.extra_files),
            "tensors": self.tensor_count,
            "total_size": self.total_size,
            "aliases": {a: k for u in units for a, k in sorted(u.aliases.items())},
            "views_copied": {n: o for u in units for n, o in sorted(u.views_copied.items())},
            "skipped": [s.to_dict() for u in units for s in u.skipped],
            "namespaced": [n.to_dict() for u in units for n in u.namespaced],
            "dequantized": [n for u in units for n in u.dequantized],
            "scales_dropped": [n for u in units for n in u.scales_dropped],
            "fp8_without_scale": [n for u in units for n in u.fp8_without_scale],
            "pickle_findings": [f.to_dict() for f in self.notes],
            "ignored": list(self.ignored),
            "removed_originals": list(self.removed),
            "seconds": dict(self.seconds),
        }

    def lines(self) -> list[str]:
        """The human summary, one fact per line."""
        out: list[str] = []
        verb = "would write" if self.dry_run else "wrote"
        for f in self.files:
            state = " (verified earlier, kept)" if f.resumed else ""
            out.append(f"{verb} {f.rel}: {f.tensors} tensors, {format_size(f.size)}{state}")
        out.extend(f"{verb} {rel}" for rel in self.extra_files)
        for unit in self.plan.units:
            for alias, kept in sorted(unit.aliases.items()):
                out.append(f"alias: {alias} -> {kept} (same data, written once; recorded in __metadata__)")
            for name, other in sorted(unit.views_copied.items()):
                out.append(f"view: {name} is a view of {other}'s storage; written as its own contiguous copy")
            for n in unit.namespaced:
                out.append(
                    f"namespaced: {n.file}: {n.key} ({n.tensors} tensor(s)) beside the state dict, written as {n.key}.*"
                )
            for s in unit.skipped:
                out.append(f"skipped: {s.file}: {s.key} ({s.kind}): {s.reason}")
            if unit.dequantized:
                out.append(
                    f"dequantized {len(unit.dequantized)} FP8 tensor(s) to BF16, dropped "
                    f"{len(unit.scales_dropped)} scale tensor(s)"
                )
            for name in unit.fp8_without_scale:
                out.append(f"warning: {name} is FP8 without a {name}_scale_inv; left as FP8")
        for f in self.notes:
            if f.rule != CONVERT_ME:  # "convert it to safetensors": being done
                out.append(f"note: {f.path}: {f.rule} {f.message}")
        out.extend(f"ignored: {text}" for text in self.ignored)
        out.extend(f"removed original: {rel}" for rel in self.removed)
        total = f"{self.tensor_count} tensors, {format_size(self.total_size)} in {len(self.files)} file(s)"
        if self.dry_run:
            out.append(f"dry run: nothing written ({total})")
        else:
            how = (
                "every tensor verified against its source (the zip's CRC-32, or byte for byte)"
                if self.engine == "direct"
                else "every tensor verified bit for bit against its source"
            )
            out.append(f"done: {total}, {how}")
        return out
