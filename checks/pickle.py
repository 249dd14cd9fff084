"""Pickle safety rules (RK2xx): prove every pickle in the release safe by static analysis.

A pickle is safe only when every callable it can reach is on an allowlist of what a plain tensor
state dict needs (the idea of `torch.load(weights_only=True)`); everything else is an error that
names the callable. The analysis lives in `releasekit.pickles`; this module defines the rules and
the check that runs `scan_file` over every file that could carry a pickle.

What is scanned: every regular file of the release (symlinks are never followed) that a standard
loader would unpickle, decided as the loaders decide (read from their source): a zip (torch,
numpy), an .npy array, a tar archive (torch's pre-0.4 checkpoint), joblib's "ZF" zfile and every
stream of joblib's compressor registry (zlib, gzip, bz2, lzma, xz, lz4; nested ones too), and,
since every loader falls back to unpickling the raw bytes, any file whose first byte is a pickle
opcode. A raw stream is parsed exactly as CPython parses it; it is dropped only when it stops
before anything that runs code (an import, EXT, a computed STACK_GLOBAL). Archives nobody can
analyse here (7z, rar, zstd, encrypted zip members, lz4 without its library) and files over the
analysis budget are errors. Names do not matter, except that a file named like a pickle (.pkl,
.pt, .pth, .bin, .ckpt, .joblib, .npy, .npz, ...) whose content is none of these is itself an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit import lazy
from releasekit.context import Context, Section
from releasekit.findings import Finding, Severity
from releasekit.registry import Rule, check
from releasekit.release import FileKind

if TYPE_CHECKING:
    from releasekit.pickles import Budget
    from releasekit.pickles.scanner import ScanResult

# The analyser's settings, allowlist and budget load when the pickle rule runs, not at start-up.
pickles = lazy.module("releasekit.pickles")

RK201 = Rule.define(
    "RK201", "pickle-unsafe-callable", category="pickle", severity=Severity.ERROR,
    summary="A pickle imports or calls something outside the allowlist of plain tensor data.",
    doc="""
    What it finds: a pickle (raw, inside a PyTorch zip or legacy checkpoint, a joblib file or a
    NumPy object array) whose GLOBAL, STACK_GLOBAL or INST opcodes reach a callable that is not on
    releasekit's allowlist: the rebuild functions, storages and dtypes that torch's weights_only
    loader admits, NumPy's array reconstructors, and a few plain data classes. The message names the
    callable, the pickle (zip member) and the byte offset.

    Why it matters: unpickling imports that callable and usually calls it, so the file runs whatever
    its author chose (os.system, runpy, pydoc.pipepager, functools.partial around torch.load...).
    Denylists of "dangerous" names keep being bypassed; an allowlist is not.

    How to fix: do not load the file. Re-export the weights as safetensors from a trusted
    environment. If the callable is your own plain-data class (a config dataclass), add its dotted
    name to `[pickle] allow = ["pkg.module.Class"]` in the release's releasekit.toml, or better,
    store that data as JSON.
    """,
)

RK202 = Rule.define(
    "RK202", "pickle-unresolvable", category="pickle", severity=Severity.ERROR,
    summary="A pickle uses a construct whose effect cannot be resolved statically.",
    doc="""
    What it finds: STACK_GLOBAL operands that are not string constants (results of calls, memo
    tricks), EXT opcodes (callables from copyreg's extension registry), REDUCE/NEWOBJ/OBJ calling
    something that is not a named global, persistent ids outside PyTorch's storage references,
    BUILD on a class or module (rewiring names) or setting special attributes such as
    `__setstate__`, and joblib array data that also reads as pickle opcodes.

    Why it matters: these are how published scanner bypasses hide a callable from static analysis.
    If releasekit cannot tell what a pickle will call, it cannot call it safe.

    How to fix: do not load the file; re-export it from its source with plain `torch.save` of a
    state dict, or as safetensors.
    """,
)

RK203 = Rule.define(
    "RK203", "pickle-malformed", category="pickle", severity=Severity.ERROR,
    summary="A pickle-bearing file cannot be parsed as the format it claims.",
    doc="""
    What it finds: truncated pickles, unknown opcodes, stack or memo errors, opcodes straddling
    frames, bytes after the last pickle (including a zip appended to a pickle), legacy PyTorch
    checkpoints whose storages do not match their pickle, zip checkpoints referencing missing
    storages, .npy headers that do not describe the file, corrupt compressed streams, text
    arguments that CPython's C and Python unpicklers read differently, archives that cannot be
    analysed here (7z, rar, zstd, lz4 without its library, compression nested too deep), and files
    that were not fully analysed because the analysis budget ran out. A file named like a
    checkpoint whose content no loader can unpickle is reported at severity warning (nothing in
    it can run; rename or remove it).

    Why it matters: loaders differ in how they read malformed input, and several bypasses rely on a
    scanner giving up where the loader carries on (or running the payload before the error).

    How to fix: re-export the file from its source; never ship a file that only some tools can read.
    """,
)

RK204 = Rule.define(
    "RK204", "pickle-zip-inconsistent", category="pickle", severity=Severity.ERROR,
    summary="A zip checkpoint's directory and local headers, flags, sizes or CRCs disagree.",
    doc="""
    What it finds: in a zip archive that holds pickles or arrays (PyTorch checkpoints, .npz), local
    headers whose name, flags, method or sizes differ from the central directory, encrypted or
    unusual flag bits, unsupported compression, duplicate member names, overlapping members, data
    before the first member, and pickle members whose CRC or size does not match.

    Why it matters: PyTorch reads archives through the central directory and ignores flags and
    CRCs; other tools (and scanners) read them differently. Each such disagreement has been used to
    show a scanner one file and the loader another (CVE-2025-1944, CVE-2025-1945, CVE-2025-10156).

    How to fix: re-create the archive with `torch.save` (or `numpy.savez`) from the original data.
    """,
)

RK205 = Rule.define(
    "RK205", "pickle-convert-to-safetensors", category="pickle", severity=Severity.WARNING,
    summary="A pickle reaches only allowlisted callables; convert it to safetensors.",
    doc="""
    What it finds: a file whose pickles all parse and reach nothing but allowlisted callables
    (tensor rebuild functions, storages, dtypes, plain containers).

    Why it matters: by static analysis the file is safe to load with the standard unpickler, but
    every user still has to trust a format that can run code, and tools that cannot analyse pickles
    will refuse it.

    How to fix: run `releasekit convert` to write safetensors, and ship those instead.
    """,
)

RK206 = Rule.define(
    "RK206", "pickle-allowlist-extended", category="pickle", severity=Severity.INFO,
    summary="A pickle relies on callables allowed only by the release's [pickle] allow setting.",
    doc="""
    What it finds: a pickle that imports names which releasekit's own allowlist does not contain
    but `[pickle] allow` in releasekit.toml does.

    Why it matters: the verdict for that file depends on the release's own settings; reviewers
    should know which classes were trusted, and that they hold plain data.

    How to fix: nothing, if those classes are yours and hold plain data; otherwise remove them from
    `[pickle] allow` and convert the file.
    """,
)

RK207 = Rule.define(
    "RK207", "pickle-settings", category="pickle", severity=Severity.ERROR,
    summary="The [pickle] settings in releasekit.toml are invalid or try to allow a dangerous callable.",
    doc="""
    What it finds: a `[pickle]` table with unknown keys, an `allow` that is not a list of dotted
    names, or entries that can never be allowed (os, subprocess, builtins.eval, runpy, pickle.loads,
    torch.load, ...: anything that runs code, imports by name or loads other files).

    Why it matters: the release's own settings could otherwise switch the scanner off; they come from
    the same place as the pickles they would excuse.

    How to fix: allow only your own plain-data classes, by full dotted name
    (`allow = ["mypkg.config.TrainConfig"]`).
    """,
)

#: Problem findings per file; the rest are counted in one last finding (a hostile file can hold
#: thousands of them, and the first few say everything needed: do not load it).
MAX_PROBLEM_FINDINGS = 25

_FIX = {  # by problems.Kind name
    "UNRESOLVED": "do not load it",
    "MALFORMED": "do not load it; re-export it from its source (or as safetensors)",
    "ARCHIVE": "do not load it; re-create the archive (torch.save writes a consistent one)",
    "NOT_A_PICKLE": "rename it, or remove it if it is not meant to be loaded",
}


def read_settings(section: Mapping[str, Any], source: str) -> tuple[list[str], list[Finding]]:
    """The valid `[pickle] allow` entries, and an RK207 finding for each problem."""
    if not section or (set(section) == {"allow"} and section["allow"] == []):
        return [], []  # what parse_settings says of an empty table (or the defaults), without loading it
    parsed = pickles.parse_settings(section)
    return list(parsed.allow), [RK207.finding(source, problem.message) for problem in parsed.problems]


def scan_file(path: Path, *, display_path: str, extra_allowed: Iterable[str] = (),
              budget: Budget | None = None) -> list[Finding]:
    """Every RK2xx finding for one file, found by content whatever the file is called.

    Args:
        path: the file to read (opened read-only; only pickle bytes and container headers are read,
            never tensor storages or array data).
        display_path: how findings name the file (relative to the release root, POSIX style).
        extra_allowed: dotted names ("pkg.module.Class") to allow beyond the built-in allowlist,
            as `[pickle] allow` in releasekit.toml does.
        budget: shared by the files of one run (default: a fresh one with the default limits).

    Returns:
        The findings for that one file, possibly none (a file that carries no pickle): any
        finding of severity ``error`` (RK201-RK204) means unsafe, unparseable or not fully
        analysed: do not load it; RK205 (``warning``) means every pickle in it reaches only
        allowlisted callables; RK206 (``info``) says that `extra_allowed` entries were needed.

    Raises:
        releasekit.errors.UsageError: an `extra_allowed` entry is not a dotted name, or names
            something that can never be allowed (os, subprocess, builtins.eval, ...).
    """
    from releasekit.pickles.scanner import scan

    return to_findings(scan(Path(path), display_path=display_path, allowlist=pickles.allowlist_for(extra_allowed),
                            budget=budget))


def to_findings(result: ScanResult) -> list[Finding]:
    """The RK201-RK205 findings of one file's scan."""
    from releasekit.pickles.problems import Kind

    rule_of = {Kind.UNRESOLVED: RK202, Kind.MALFORMED: RK203, Kind.ARCHIVE: RK204, Kind.NOT_A_PICKLE: RK203}
    path = result.path
    findings: list[Finding] = []
    for unit in result.units:
        where = f"{unit.label}: " if unit.label else ""
        for use in sorted(unit.imports.values(), key=lambda u: u.first_pos):
            if use.status is not None:
                continue
            verb = "imports and calls" if use.called else "imports"
            times = f", {use.count} times" if use.count > 1 else ""
            findings.append(RK201.finding(
                path, f"{where}{verb} {use.name} (first at byte {use.first_pos:,}{times}), which is not on the "
                      "allowlist of plain tensor data: loading this file can run code, so do not load it (if "
                      f"{use.name} is your own plain-data class, add it to [pickle] allow in releasekit.toml)"))
    seen: set[str] = set()
    shown = 0
    hidden = 0
    for problem in result.problems:
        text = problem.message + problem.where()
        if text in seen:
            continue
        seen.add(text)
        if shown >= MAX_PROBLEM_FINDINGS:
            hidden += 1
            continue
        shown += 1
        # A file named like a checkpoint that no loader can run anything from is a warning, not an
        # error: it is provably harmless (our decoder stops where CPython stops), and calling it
        # unsafe would be a false alarm (ModelAudit's benign corpus has such a .pt file).
        severity = Severity.WARNING if problem.kind is Kind.NOT_A_PICKLE else None
        findings.append(rule_of[problem.kind].finding(path, f"{text}; {_FIX[problem.kind.name]}", severity=severity))
    if hidden:
        findings.append(RK203.finding(path, f"{hidden} more problem(s) not listed; do not load it"))
    if result.units and not any(f.severity is Severity.ERROR for f in findings):
        names = sorted(result.imports)
        listed = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        count = len(result.units)
        findings.append(RK205.finding(
            path, f"{result.format} with {count} pickle{'s' if count > 1 else ''} whose every callable is on the "
                  f"allowlist ({listed or 'no callables at all'}): safe to load by static analysis, but convert it to "
                  "safetensors (`releasekit convert`) so nobody has to trust a pickle"))
    user = sorted(name for name, use in result.imports.items() if use.status == "user")
    if user:
        findings.append(RK206.finding(
            path, f"uses {', '.join(user)}, allowed only by the [pickle] allow extension in releasekit.toml, not by "
                  "releasekit's own allowlist: make sure these classes hold plain data"))
    return findings


MODULE_SUFFIXES = (".py", ".pyc", ".pyw", ".so", ".pyd")


def release_modules(ctx: Context) -> frozenset[str]:
    """Every top-level module name the release itself could provide to `__import__` when its code
    runs (each folder's scripts put that folder on sys.path): folder names, and module files' names.

    A text file that a loader would misread as a pickle and that fails after an import of anything
    else ran no code of the release's: the analysis does not count that import (see the scanner).
    """
    names: set[str] = set()
    for file in ctx.release.files:
        *folders, leaf = file.path.split("/")
        names.update(folders)
        if leaf.endswith(MODULE_SUFFIXES):
            names.add(leaf.split(".", 1)[0])
            names.add(leaf.rsplit(".", 1)[0])
    names.update(part for folder in ctx.release.directories for part in folder.split("/"))
    return frozenset(names)


@check(RK201, RK202, RK203, RK204, RK205, RK206, RK207)
def pickle_safety(ctx: Context) -> Iterator[Finding]:
    """Scan every file that a standard loader would unpickle (or that holds a pickle), with one budget."""
    from releasekit.pickles.sniff import HEAD_BYTES, OPCODE_BYTES, Format, certainly_no_pickle, named_like_pickle, sniff

    source = ctx.settings.source or "releasekit.toml"
    extra, problems = read_settings(ctx.settings.section("pickle"), source.split(" ")[0])
    yield from problems
    # An extended allowlist is built at once (a bad entry stops the check, as it always did); the
    # built-in one, the budget and the release's module names only for a file that may hold a pickle.
    allowlist = pickles.allowlist_for(extra) if extra else None
    budget: Budget | None = None
    planted: Callable[[str], bool] | None = None
    files: list[dict[str, Any]] = []
    for file in ctx.release.regular_files():
        try:
            head = ctx.read_bytes(file, HEAD_BYTES)
        except OSError as exc:
            yield RK203.finding(file.path, f"cannot be read ({exc.strerror or exc}): it was not checked for pickles")
            continue
        fmt = sniff(head, file.size)
        if fmt is None and head and head[0] in OPCODE_BYTES and file.kind is not FileKind.SAFETENSORS:
            # Content that looks like safetensors, under another name: torch.load reads any such
            # file as a raw pickle stream, and its first bytes (the header length) can be opcodes
            # that step over the header into a pickle. (A safetensors file, by the release's own
            # classification, is read by the safetensors library and its header by the weights rules.)
            fmt = Format.MAYBE_PICKLE
        if fmt is Format.MAYBE_PICKLE and certainly_no_pickle(head, file.size):
            fmt = None  # a text file starting with an opcode letter: the scanner would drop it unread
        if fmt is None and not named_like_pickle(file.path) and not file.path.lower().endswith(".zip"):
            continue
        from releasekit.pickles.scanner import scan  # loaded at the first file that may hold a pickle

        if budget is None:
            if allowlist is None:
                allowlist = pickles.allowlist_for(())
            budget = pickles.Budget()
            planted = release_modules(ctx).__contains__
        result = scan(file.abspath, display_path=file.path, allowlist=allowlist, budget=budget, planted=planted)
        if result.format is None and not result.problems:
            continue
        findings = to_findings(result)
        yield from findings
        worst = max((f.severity for f in findings), key=lambda s: s.rank, default=None)
        files.append({
            "path": file.path,
            "format": result.format,
            "pickles": len(result.units),
            "callables": sorted(result.imports),
            "not_allowed": sorted(n for n, u in result.imports.items() if u.status is None),
            "user_allowed": sorted(n for n, u in result.imports.items() if u.status == "user"),
            "verdict": {Severity.ERROR: "unsafe", Severity.WARNING: "allowlisted",
                        Severity.INFO: "allowlisted", None: "no pickle"}[worst],
        })
    used = sorted({name for f in files for name in f["user_allowed"]})
    lines = [f"{f['path']}: {f['format']}, {f['pickles']} pickle(s), {f['verdict']}" for f in files]
    if extra:
        lines.append(f"allowlist extended by {source}: {', '.join(extra)}"
                     + (f" (used by: {', '.join(used)})" if used else " (not used by any file)"))
    if not files:
        lines.append("no pickle-bearing files")
    ctx.add_section(Section(
        name="pickle", title="Pickle safety",
        data={"files": files, "user_allowlist": extra, "user_allowlist_used": used},
        lines=tuple(lines),
    ))
