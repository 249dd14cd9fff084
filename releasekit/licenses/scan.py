"""What the release says about its licenses: license files, NOTICE files, SPDX headers.

Computed once per run (`Context.memo`) and shared by the license and openness rules.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from releasekit.cardmeta.load import card_metadata
from releasekit.context import Context
from releasekit.licenses import hub, spdx
from releasekit.release import FileKind, ReleaseFile

if TYPE_CHECKING:  # identification (the SPDX texts, the word diff) loads when a license file is read
    from releasekit.licenses import identify

MEMO_KEY = "licenses.scan"
# Where an SPDX header may sit: the first lines of a file (REUSE puts it in the top comment).
HEADER_BYTES = 8 * 1024
HEADER_LINES = 40
_HEADER = re.compile(r"SPDX-License-Identifier:\s*(?P<expr>.*?)\s*(?:\*/|-->|\"\"\"|'''|#\}|$)", re.M)
_LICENSE_STEMS = ("LICENSE", "LICENCE", "COPYING", "UNLICENSE", "COPYRIGHT")
_NOTICE_MENTION = re.compile(r"\bNOTICE file\b", re.I)
MAX_NESTED_LICENSE_FILES = 100  # askalono costs ~0.4 s per distinct unknown text
# Root license files that cover one part of the release (DeepSeek-V3 ships LICENSE-CODE and
# LICENSE-MODEL): the part each covers. A plain LICENSE covers everything no such file claims.
CODE, MODEL, DATA, DOCS = "code", "model", "data", "docs"
_ROLES = (
    (re.compile(r"licen[cs]e[-_.]?(source[-_.]?)?code", re.I), CODE),
    (re.compile(r"licen[cs]e[-_.]?(model|weights?|params|parameters)", re.I), MODEL),
    (re.compile(r"licen[cs]e[-_.]?(data|datasets?)", re.I), DATA),
    (re.compile(r"licen[cs]e[-_.]?(docs?|documentation)", re.I), DOCS),
)


@dataclasses.dataclass(frozen=True)
class LicenseFile:
    path: str
    identification: identify.Identification

    @property
    def folder(self) -> str:
        parent = str(PurePosixPath(self.path).parent)
        return "" if parent == "." else parent

    @property
    def role(self) -> str | None:
        """The part of the release a root license file covers (`code`, `model` ...), None for all."""
        return role_of(self.path)


def role_of(path: str) -> str | None:
    name = PurePosixPath(path).name
    return next((role for pattern, role in _ROLES if pattern.match(name)), None)


@dataclasses.dataclass(frozen=True)
class Header:
    path: str
    line: int
    expression: str
    parsed: spdx.ParsedExpression


@dataclasses.dataclass(frozen=True)
class LicenseScan:
    top: tuple[LicenseFile, ...]  # license files at the root
    nested: tuple[LicenseFile, ...]  # license files in sub-folders (vendored code)
    notices: tuple[str, ...]  # NOTICE files anywhere
    notice_mentions: tuple[str, ...]  # code files whose header says "see the NOTICE file"
    headers: tuple[Header, ...]
    release_license: str | None  # the SPDX id (or LicenseRef-) the weights (the release) are under
    release_license_source: str | None  # the path it was read from, or "README.md" (the card)
    code_license: str | None = None  # the license the release's code is under (LICENSE-CODE, else as above)
    code_license_source: str | None = None

    def covering(self, role: str) -> tuple[LicenseFile, ...]:
        """The root license files that cover `role` (`code`, `model` ...): those named for it,
        else the plain ones (LICENSE, COPYING ...)."""
        named = tuple(lf for lf in self.top if lf.role == role)
        return named or tuple(lf for lf in self.top if lf.role is None)

    def nested_license_of(self, path: str) -> LicenseFile | None:
        """The license file of the innermost sub-folder holding `path`."""
        best: LicenseFile | None = None
        for lf in self.nested:
            if lf.folder and (path == lf.folder or path.startswith(lf.folder + "/")):
                if best is None or len(lf.folder) > len(best.folder):
                    best = lf
        return best


def is_license_name(name: str) -> bool:
    return name.upper().startswith(_LICENSE_STEMS)


def is_notice_name(name: str) -> bool:
    return name.upper().startswith("NOTICE")


def scan(ctx: Context) -> LicenseScan:
    return ctx.memo(MEMO_KEY, lambda: _scan(ctx))


def _identify(ctx: Context, f: ReleaseFile) -> LicenseFile:
    from releasekit.licenses import identify

    text = ctx.read_text(f, identify.MAX_LICENSE_BYTES)
    return LicenseFile(f.path, identify.identify(text))


def _scan(ctx: Context) -> LicenseScan:
    license_files = ctx.release.of_kind(FileKind.LICENSE)
    top = tuple(_identify(ctx, f) for f in license_files if not f.parent and is_license_name(f.name))
    nested_files = [f for f in license_files if f.parent and is_license_name(f.name)][:MAX_NESTED_LICENSE_FILES]
    nested = tuple(_identify(ctx, f) for f in nested_files)
    notices = tuple(f.path for f in license_files if is_notice_name(f.name))
    headers: list[Header] = []
    mentions: list[str] = []
    for f in ctx.release.of_kind(FileKind.CODE):
        head = ctx.read_text(f, HEADER_BYTES)
        top_lines = "\n".join(head.splitlines()[:HEADER_LINES])
        for match in _HEADER.finditer(top_lines):
            expression = match.group("expr").strip().strip(",;")
            line = top_lines[: match.start()].count("\n") + 1
            headers.append(Header(f.path, line, expression, spdx.parse(expression)))
        if _NOTICE_MENTION.search(top_lines):
            mentions.append(f.path)
    partial = LicenseScan(top, nested, notices, tuple(mentions), tuple(headers), None, None)
    release_license, source = _covering_license(ctx, partial.covering(MODEL) or top)
    code_license, code_source = _covering_license(ctx, partial.covering(CODE) or top)
    return dataclasses.replace(
        partial,
        release_license=release_license,
        release_license_source=source,
        code_license=code_license,
        code_license_source=code_source,
    )


def _covering_license(ctx: Context, top: tuple[LicenseFile, ...]) -> tuple[str | None, str | None]:
    """The license of one part: the identified license file (of those covering it) that agrees with
    the card, else the first identified one, else what the card declares."""
    metadata = card_metadata(ctx)
    hub_id = metadata.get("license") if isinstance(metadata.get("license"), str) else None
    name = metadata.get("license_name") if isinstance(metadata.get("license_name"), str) else None
    identified = [lf for lf in top if lf.identification.license_id]
    for lf in identified:
        if hub_id and hub.agrees(hub_id, lf.identification.license_id or "", name):  # type: ignore[arg-type]
            return lf.identification.license_id, lf.path
    if identified:
        return identified[0].identification.license_id, identified[0].path
    if hub_id and hub_id != "unknown":
        return hub.to_spdx(hub_id, name), "README.md"
    return None, None
