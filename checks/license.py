"""License rules: the release carries a license, the card names it truly, the code fits under it."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from releasekit import lazy
from releasekit.context import Context
from releasekit.findings import Finding, Severity
from releasekit.registry import Rule, check

# The license machinery loads when a license rule runs (start-up; `--select weights` never needs it).
compat = lazy.module("releasekit.licenses.compat")
hub = lazy.module("releasekit.licenses.hub")
scan = lazy.module("releasekit.licenses.scan")
cardload = lazy.module("releasekit.cardmeta.load")

RK301 = Rule.define(
    "RK301",
    "license-missing",
    category="license",
    severity=Severity.ERROR,
    summary="The release has no license file at its root.",
    doc="""
    What it finds: no `LICENSE`, `LICENSE.md`, `LICENSE.txt`, `LICENCE`, `COPYING` or `UNLICENSE`
    file at the root of the release (license files only in sub-folders do not count), or one that
    is empty.

    Why it matters: without a license nobody may legally use, modify or redistribute the weights
    or the code, whatever the model card says. The Hub also links the card's license to this file.

    How to fix: add the full license text as `LICENSE` at the root (for example the MIT or
    Apache-2.0 text with your copyright line), and set the card's `license:` to match.
    """,
)

RK302 = Rule.define(
    "RK302",
    "license-unidentified",
    category="license",
    severity=Severity.WARNING,
    summary="The root license text is not a license releasekit recognises, and the card does not say it is custom.",
    doc="""
    What it finds: a root license file whose text matches no SPDX license (askalono's SPDX store,
    releasekit's canonical texts) nor a known model license (Llama, Gemma, DeepSeek, OpenRAIL,
    OpenMDW ...), while the card does not declare `license: other` or a model license.

    Why it matters: users, tools and the Hub classify releases by their license id. A custom text
    that the card calls nothing leaves everyone guessing about the terms.

    How to fix: use a standard license text unchanged, or declare the custom license in the card:
    `license: other`, `license_name: <short-id>`, `license_link: LICENSE`.
    """,
)

RK303 = Rule.define(
    "RK303",
    "license-modified",
    category="license",
    severity=Severity.WARNING,
    summary="The license text is close to a standard license but adds, removes or changes terms.",
    doc="""
    What it finds: a license file whose text is close to a standard license (MIT, Apache-2.0, BSD,
    ISC, compared word by word with the canonical SPDX text; copyright lines, titles, case,
    punctuation and list numbering do not count) but adds, removes or changes words, for example
    MIT with a "no commercial use" sentence or Apache-2.0 with a revocable grant. The finding
    quotes what differs. It is an error when the card claims the standard license.

    Why it matters: a modified license is a different license. Calling it MIT makes users believe
    they have rights they do not have, and automated license scanners will get it wrong.

    How to fix: restore the standard text, or keep your terms and declare them honestly as a
    custom license (`license: other`, `license_name`, `license_link: LICENSE`).
    """,
)

RK304 = Rule.define(
    "RK304",
    "card-license-mismatch",
    category="license",
    severity=Severity.ERROR,
    summary="The card's `license:` disagrees with the license text the release ships.",
    doc="""
    What it finds: the model card declares a Hub license id (for example `license: apache-2.0`)
    that does not match what the root license file is (for example the MIT text). Hub ids are
    mapped to SPDX ids (`apache-2.0` -> `Apache-2.0`, `gpl-3.0` -> `GPL-3.0-only` or
    `-or-later`, `bsd` -> any BSD); model licenses (`llama3.1`, `gemma` ...) are recognised by
    their title.

    Why it matters: the Hub page, search filters and downstream users read the card; the legal
    terms are in the file. When they disagree, one of them is wrong and users cannot tell which.

    How to fix: make the card's `license:` the Hub id of the text you ship, or ship the text of the
    license you declare.
    """,
)

RK311 = Rule.define(
    "RK311",
    "license-text-incomplete",
    category="license",
    severity=Severity.WARNING,
    summary="A root license file holds only a license's standard header, not its text.",
    doc="""
    What it finds: a root license file that is only the standard Apache-2.0 header ("Licensed
    under the Apache License, Version 2.0 ... You may obtain a copy of the License at ..."),
    without the license's terms.

    Why it matters: Apache-2.0 section 4(a) requires redistributions to give recipients a copy of
    the license; the header points to it instead. Scanners and the Hub identify the file, but
    users offline do not get the terms.

    How to fix: put the full license text in the file (keep the header at the top of source
    files, where it belongs).
    """,
)

RK305 = Rule.define(
    "RK305",
    "license-other-incomplete",
    category="license",
    severity=Severity.WARNING,
    summary="`license: other` without `license_name`/`license_link`, or a `license_link` to a missing file.",
    doc="""
    What it finds: a card with `license: other` that lacks `license_name` or `license_link`
    (warnings), or a relative `license_link` that points to no file of the release (an error).

    Why it matters: with `license: other` the Hub shows `license_name` and links `license_link`;
    without them the page says only "other", and a broken link leaves the terms unreachable.

    How to fix: add `license_name: <short-id>` and `license_link: LICENSE` (a file of the release)
    or a URL to the license text.
    """,
)

RK306 = Rule.define(
    "RK306",
    "spdx-header-invalid",
    category="license",
    severity=Severity.WARNING,
    summary="An `SPDX-License-Identifier` header is not a valid SPDX license expression.",
    doc="""
    What it finds: a source file whose `SPDX-License-Identifier:` header does not parse as an SPDX
    expression (checked with `license-expression`), or names ids the SPDX list does not have
    (`LicenseRef-*` ids are allowed).

    Why it matters: SPDX headers are read by scanners (REUSE, ScanCode, SBOM tools); an invalid
    one is ignored or misread, so the file's license is effectively undeclared.

    How to fix: use SPDX ids and operators exactly, e.g. `SPDX-License-Identifier: Apache-2.0 OR
    MIT`; custom licenses as `LicenseRef-<name>`.
    """,
)

RK307 = Rule.define(
    "RK307",
    "incompatible-code-license",
    category="license",
    severity=Severity.ERROR,
    summary="Code under a license the release's license cannot carry (GPL code in an MIT release).",
    doc="""
    What it finds: a source file (by its SPDX header) or a vendored folder (by its own license
    file) under a license that the release's license cannot carry: strong copyleft (GPL, AGPL) in a
    permissive or model-licensed release, non-commercial or otherwise restricted terms in an open
    release, or the known GPL-2.0-only conflicts (Apache-2.0, GPL-3.0). `A OR B` is fine when
    either is.

    Why it matters: the release as a whole cannot be redistributed under its declared license;
    users who rely on the MIT or Apache-2.0 grant would infringe the GPL author's terms.

    How to fix: remove or replace that code, obtain it under a compatible license, or relicense
    the release under terms that can carry it.
    """,
)

RK308 = Rule.define(
    "RK308",
    "weak-copyleft-code",
    category="license",
    severity=Severity.WARNING,
    summary="Weak-copyleft code (LGPL, MPL, EPL) inside a permissively licensed release.",
    doc="""
    What it finds: a source file or vendored folder under a weak-copyleft license (LGPL, MPL, EPL,
    CDDL ...) in a release under a permissive license.

    Why it matters: allowed file by file, but those files keep their own license: modifications
    to them must be shared under it and their source offered. Users of an "MIT" release may not
    expect that.

    How to fix: keep the file's license text next to it and say so in the card, or replace it.
    """,
)

RK309 = Rule.define(
    "RK309",
    "nested-license",
    category="license",
    severity=Severity.INFO,
    summary="A sub-folder carries its own license (vendored code).",
    doc="""
    What it finds: a license file (`LICENSE`, `COPYING` ...) in a sub-folder, with what it is.

    Why it matters: vendored code keeps its own license; the release must honour it (attribution,
    notices) and the card should mention it.

    How to fix: nothing to fix when the license is compatible (RK307/RK308 report the others);
    mention the third-party code and its license in the card.
    """,
)

RK310 = Rule.define(
    "RK310",
    "apache-notice-missing",
    category="license",
    severity=Severity.WARNING,
    summary="An Apache-2.0 release whose code has a NOTICE does not carry one at its root.",
    doc="""
    What it finds: the release is under Apache-2.0 and a vendored folder ships a `NOTICE` file, or
    source headers say "see the NOTICE file", but there is no `NOTICE` at the root.

    Why it matters: Apache-2.0 section 4(d) requires redistributions to include the attribution
    notices of the NOTICE file of the work they derive from.

    How to fix: add a root `NOTICE` that reproduces the notices of the code you ship.
    """,
)

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


@check(RK301, RK302, RK303, RK304, RK311)
def release_license(ctx: Context) -> Iterator[Finding]:
    """The root license files exist, are known licenses, unchanged, and the card names the one
    that covers the weights."""
    result = scan.scan(ctx)
    if not result.top:
        nested = ", ".join(lf.path for lf in result.nested[:3])
        hint = f" (only in sub-folders: {nested})" if nested else ""
        yield RK301.finding(".", f"no license file at the root of the release{hint}: add the license text as LICENSE")
        return
    metadata = cardload.card_metadata(ctx)
    hub_id = metadata.get("license") if isinstance(metadata.get("license"), str) else None
    license_name = metadata.get("license_name") if isinstance(metadata.get("license_name"), str) else None
    if all(lf.identification.method == "empty" for lf in result.top):
        yield RK301.finding(result.top[0].path, "license file is empty: put the full license text in it")
        return
    for lf in result.top:
        yield from _text_findings(lf, hub_id, license_name)
    yield from _card_mismatch(ctx, result, hub_id, license_name)


def _text_findings(lf: scan.LicenseFile, hub_id: str | None, license_name: str | None) -> Iterator[Finding]:
    ident = lf.identification
    if ident.modified:
        claimed = hub_id is not None and hub.agrees(hub_id, ident.closest or "", license_name) is True
        severity = Severity.ERROR if claimed else None
        claim = f"; the card's `license: {hub_id}` claims it is" if claimed else ""
        yield RK303.finding(
            lf.path,
            f"close to {ident.closest} but not {ident.closest}: {ident.describe_differences()}{claim}: restore the "
            "standard text, or declare `license: other` with `license_name` and `license_link`",
            severity=severity,
        )
    elif ident.license_id is None and ident.method != "empty" and hub_id is None:
        near = f" (nearest: {ident.closest}, score {ident.score:.2f})" if ident.closest else ""
        yield RK302.finding(
            lf.path,
            f"not a license releasekit recognises{near}: use a standard text, or declare "
            "`license: other` with `license_name` and `license_link: LICENSE` in the card",
        )
    elif ident.header_only:
        yield RK311.finding(
            lf.path,
            f"only the standard {ident.license_id} header, not the license's terms: put the full "
            f"{ident.license_id} text in {lf.path} (the header belongs at the top of source files)",
        )


def _describe(lf: scan.LicenseFile) -> str:
    ident = lf.identification
    if ident.license_id:
        return f"{lf.path} is {ident.license_id}"
    if ident.modified:
        return f"{lf.path} is a modified {ident.closest}"
    return f"{lf.path} is not that license's text"


def _card_mismatch(
    ctx: Context, result: scan.LicenseScan, hub_id: str | None, license_name: str | None
) -> Iterator[Finding]:
    """RK304: the card's license is checked against the files that cover the weights."""
    if hub_id is None or not hub.is_hub_license(hub_id) or hub_id == "unknown":
        return
    weights = [lf for lf in result.covering(scan.MODEL) if lf.identification.method != "empty"]
    if not weights:
        return
    verdicts = [hub.agrees(hub_id, lf.identification.license_id or "", license_name) for lf in weights]
    if any(v is True for v in verdicts if v is not None) or (hub_id == "other" and False not in verdicts):
        return
    if hub_id == "other":
        named = [lf for lf, v in zip(weights, verdicts) if v is False]
        yield RK304.finding(
            "README.md",
            f"card says `license: other` with `license_name: {license_name}`, but {', '.join(map(_describe, named))}: "
            "make `license_name` name the license the weights are under",
            line=_line(ctx, "license_name"),
        )
        return
    if any(
        lf.identification.modified and hub.agrees(hub_id, lf.identification.closest or "", license_name)
        for lf in weights
    ):
        return  # RK303 already says the text claimed by the card is a modified one
    if hub.spdx_pattern(hub_id) is None and not any(
        lf.identification.license_id or lf.identification.modified for lf in weights
    ):
        return  # a model license we know only by its title: an unrecognised text may still be it
    described = ", ".join(_describe(lf) for lf in weights)
    others = [
        lf
        for lf in result.top
        if lf not in weights
        and lf.identification.license_id
        and hub.agrees(hub_id, lf.identification.license_id, license_name)
    ]
    if others:
        yield RK304.finding(
            "README.md",
            f"card says `license: {hub_id}`, the license of {others[0].path} ({others[0].role or 'part'} of the "
            f"release), but the weights are under another license: {described}: the card's `license:` must name "
            f"the weights' license ({_suggest(weights[0])})",
            line=_line(ctx, "license"),
        )
        return
    yield RK304.finding(
        "README.md",
        f"card says `license: {hub_id}` but {described}: make the card's "
        "`license:` match the text, or ship the text of the license you declare",
        line=_line(ctx, "license"),
    )


def _suggest(lf: scan.LicenseFile) -> str:
    license_id = lf.identification.license_id
    if license_id and license_id.startswith("LicenseRef-"):
        name = license_id[len("LicenseRef-") :]
        if hub.is_hub_license(name):
            return f"`license: {name}`"
        return f"`license: other`, `license_name: {name}`, `license_link: {lf.path}`"
    if license_id:
        return f"the Hub id of {license_id}"
    return f"`license: other`, `license_name`, `license_link: {lf.path}`"


def _line(ctx: Context, key: str) -> int | None:
    card = cardload.load_card(ctx)
    return card.line_of(key) if card is not None else None


@check(RK305)
def license_other(ctx: Context) -> Iterator[Finding]:
    """`license: other` names and links its license, and a relative link resolves."""
    metadata = cardload.card_metadata(ctx)
    if not metadata:
        return
    hub_id = metadata.get("license")
    link = metadata.get("license_link")
    if hub_id == "other":
        if not metadata.get("license_name"):
            yield RK305.finding(
                "README.md",
                "`license: other` without `license_name`: the Hub page will say only "
                '"other": add `license_name: <short-id>`',
                line=_line(ctx, "license"),
            )
        if not link:
            yield RK305.finding(
                "README.md",
                "`license: other` without `license_link`: add `license_link: LICENSE` "
                "(a file of the release) or the URL of the license",
                line=_line(ctx, "license"),
            )
    if isinstance(link, str) and link and not _URL.match(link):
        target = posixpath.normpath(link.split("#")[0].split("?")[0]).lstrip("/")
        if target.startswith(("blob/", "resolve/")):  # the Hub's own relative form: blob/<revision>/<path>
            target = target.split("/", 2)[-1]
        if target.startswith("..") or ctx.release.by_path(target) is None:
            yield RK305.finding(
                "README.md",
                f"`license_link: {link}` points to no file of the release: add that file or fix the link",
                line=_line(ctx, "license_link"),
                severity=Severity.ERROR,
            )


@check(RK306, RK307, RK308, RK309, RK310)
def code_licenses(ctx: Context) -> Iterator[Finding]:
    """SPDX headers and vendored license files fit under the release's license; NOTICE carried."""
    result = scan.scan(ctx)
    release = result.code_license
    for header in result.headers:
        if header.parsed.error:
            yield RK306.finding(
                header.path,
                f"SPDX-License-Identifier `{header.expression}`: {header.parsed.error}: use SPDX ids and AND/OR/WITH",
                line=header.line,
            )
            continue
        if release:
            yield from _judge(
                release,
                result.code_license_source,
                header.path,
                header.parsed.normalized or "",
                header.line,
                "its SPDX header says",
            )
    for lf in result.nested:
        ident = lf.identification
        if ident.license_id:
            verdict = compat.judge(release, ident.license_id) if release else None
            status = f"compatible with {release}" if verdict and verdict.status == compat.OK else "see other findings"
            yield RK309.finding(
                lf.path, f"vendored code under its own license: {ident.license_id} ({status}); mention it in the card"
            )
            if release:
                yield from _judge(
                    release,
                    result.code_license_source,
                    lf.folder or lf.path,
                    ident.license_id,
                    None,
                    f"{lf.path} is",
                )
        elif ident.modified:
            yield RK309.finding(
                lf.path,
                f"vendored code under a license close to {ident.closest} but modified "
                f"({ident.describe_differences(1)}): check its terms by hand",
            )
        else:
            yield RK309.finding(
                lf.path, "vendored code under a license releasekit does not recognise: check its terms by hand"
            )
    if release == "Apache-2.0" and not any("/" not in n for n in result.notices):
        nested_notices = [n for n in result.notices if "/" in n]
        if nested_notices or result.notice_mentions:
            why = (
                f"{nested_notices[0]} ships a NOTICE"
                if nested_notices
                else f"{result.notice_mentions[0]} refers to a NOTICE file"
            )
            yield RK310.finding(
                ".",
                f"Apache-2.0 release without a root NOTICE, but {why}: add a NOTICE at the root "
                "that reproduces those notices (Apache-2.0 section 4(d))",
            )


def _judge(
    release: str, source: str | None, path: str, expression: str, line: int | None, said: str
) -> Iterator[Finding]:
    verdict = compat.judge(release, expression)
    where = f" ({source})" if source else ""
    if verdict.status == compat.INCOMPATIBLE:
        yield RK307.finding(
            path,
            f"{said} {expression}, which a release under {release}{where} cannot carry "
            f"({verdict.license_id} is {verdict.kind}): remove or replace it, or relicense the release",
            line=line,
        )
    elif verdict.status == compat.WEAK:
        yield RK308.finding(
            path,
            f"{said} {expression} ({verdict.kind}) inside a release under {release}: keep its license "
            "text beside it, share changes to it under that license, and say so in the card",
            line=line,
        )
