"""Openness rules: how open the release is by the Model Openness Framework, and what the next class needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from releasekit.context import Context, Section
from releasekit.findings import Finding, Severity
from releasekit import lazy
from releasekit.registry import Rule, check

# The openness machinery (components, license judgements and the SPDX list they read) loads when
# the rule runs: in the second lane's sibling process, not on the start-up path.
licensing = lazy.module("releasekit.openness.licensing")
components = lazy.module("releasekit.openness.components")

if TYPE_CHECKING:  # the evaluation (release walk, card scan) loads when the openness rule runs
    from releasekit.openness.evaluate import Assessment, ComponentStatus

RK701 = Rule.define(
    "RK701",
    "openness-class",
    category="openness",
    severity=Severity.INFO,
    summary="The Model Openness Framework class the release reaches.",
    doc="""
    What it finds: the highest class of the Model Openness Framework (LF AI & Data, arXiv
    2403.13784) the release reaches: Class III (Open Model: architecture, final weights, model
    and data cards, technical report, evaluation results), Class II (Open Tooling: + training,
    inference and evaluation code, evaluation data), Class I (Open Science: + datasets,
    preprocessing code, intermediate checkpoints, research paper), each component under an open
    license. The full component table is the report's `openness` section.

    Why it matters: "open-sourcing a model" can mean anything from weights under restrictive terms
    to everything needed to reproduce it; the class says which, in terms others use too.

    How to fix: nothing to fix; RK702 lists what the next class needs.
    """,
)

RK702 = Rule.define(
    "RK702",
    "openness-missing-component",
    category="openness",
    severity=Severity.INFO,
    summary="A component the next openness class requires is not in the release nor declared.",
    doc="""
    What it finds: each component the next MOF class requires that the release neither holds
    (by file names and folders: `train/`, `eval*.py`, `data_card.md`, `checkpoint-*/` ...) nor
    declares in releasekit.toml `[openness]` (a URL or path per component).

    Why it matters: it is exactly the list of what to publish to reach the next class.

    How to fix: ship the component, or link it: `[openness]` `technical_report =
    "https://arxiv.org/abs/..."`, `datasets = ["https://huggingface.co/datasets/..."]`, and
    declare its license under `[openness.licenses]`.
    """,
)

RK703 = Rule.define(
    "RK703",
    "openness-license-unfit",
    category="openness",
    severity=Severity.WARNING,
    summary="A component has no license, or one that is not open (non-commercial, use-restricted).",
    doc="""
    What it finds: a component the release holds with no license at all (a warning: code or data
    nobody may reuse), linked in releasekit.toml without a declared license (a warning), or
    under a license that is not open for its type: weights under a non-commercial or
    use-restricted license (CC-BY-NC, Llama, OpenRAIL) or a paper or dataset the card links
    without saying its license (info: a deliberate choice, or a fact to declare, not a defect).
    Components under the same license are reported together, once. Open means OSI-approved or
    FSF-libre, an open data license (CDLA, CC-BY, ODbL ...) or OpenMDW.

    Why it matters: under the MOF a component only counts when others may use, study, modify and
    share it; a restricted component keeps the release out of the class whatever else it ships.

    How to fix: release the component under an open license fit for its type (code: MIT,
    Apache-2.0; data and weights: CDLA-Permissive-2.0, CC-BY-4.0; documents: CC-BY-4.0), or
    declare the license it already has in `[openness.licenses]`.
    """,
)

RK704 = Rule.define(
    "RK704",
    "openness-license-type",
    category="openness",
    severity=Severity.INFO,
    summary="Components under an open license meant for another type (MIT weights).",
    doc="""
    What it finds: components under an open license that the MOF does not list for their type,
    for example weights (data) or a model card (document) under MIT, a software license.

    Why it matters: they count toward the class, but software licenses fit data and documents
    poorly (what is "source" for weights?); the MOF recommends licenses made for each type.

    How to fix: optional: license data under CDLA-Permissive-2.0 or CC-BY-4.0 and documents under
    CC-BY-4.0 (`[openness.licenses]` declares what you chose), or use OpenMDW for everything.
    """,
)

RK705 = Rule.define(
    "RK705",
    "openness-settings-invalid",
    category="openness",
    severity=Severity.ERROR,
    summary="The `[openness]` table of releasekit.toml is invalid.",
    doc="""
    What it finds: an unknown component key, a value that is not a URL/path, a list of them or
    `false`, a license that is not an SPDX expression, or a declared path that is not in the
    release.

    Why it matters: a typo would silently leave a component undeclared and the class wrong.

    How to fix: use the component keys listed in the README (`technical_report`, `datasets`,
    `training_code` ...) and SPDX expressions.
    """,
)


def _label(status: ComponentStatus) -> str:
    return f"{status.component.name.lower()} ({status.component.type})"


def _where(status: ComponentStatus) -> str:
    files = status.evidence.files
    return files[0] if files else "."


@check(RK701, RK702, RK703, RK704, RK705)
def openness(ctx: Context) -> Iterator[Finding]:
    """Detect the MOF components, judge their licenses, report the class and the openness section."""
    from releasekit.openness.evaluate import assess

    result = assess(ctx)
    for problem in result.settings.problems:
        yield RK705.finding("releasekit.toml", f"{problem}: see the `[openness]` settings in the README")
    for path in result.missing_paths:
        yield RK705.finding(
            "releasekit.toml", f"[openness] declares `{path}`, which is not in the release: fix the path or use a URL"
        )
    if result.reached:
        yield RK701.finding(".", f"Model Openness Framework: {components.CLASS_NAMES[result.reached]} reached")
    else:
        yield RK701.finding(
            ".",
            "Model Openness Framework: no class reached (Class III - Open Model needs "
            f"{len(result.blocking(3))} more component(s))",
        )
    next_class = result.next_class
    if next_class is not None:
        for blocker in result.blocking(next_class):
            if not blocker.present:
                yield RK702.finding(
                    ".",
                    f"{components.CLASS_NAMES[next_class]} needs {_label(blocker)}: "
                    f"{blocker.component.description}: ship it or link it in releasekit.toml "
                    f'[openness] {blocker.component.id} = "..."',
                )
    yield from _license_findings(result)
    ctx.add_section(
        Section(
            name="openness", title="Openness (Model Openness Framework)", data=result.to_dict(), lines=_lines(result)
        )
    )


def _license_findings(result: Assessment) -> Iterator[Finding]:
    """RK703/RK704, one finding per license fact: components under the same license, or linked
    without one, are listed together rather than reported once each."""
    present = [s for s in result.components if s.present]
    unlicensed_files = [s for s in present if s.license_status == licensing.UNLICENSED and s.evidence.files]
    for status in unlicensed_files:
        yield RK703.finding(
            _where(status),
            f"{_label(status)} has no license: it cannot count as open: add a LICENSE or an SPDX header "
            f"(e.g. {licensing.examples(status.component.type)})",
        )
    declared_links = [
        s for s in present if s.license_status == licensing.UNLICENSED and not s.evidence.files and s.evidence.links
    ]
    card_links = [
        s for s in present if s.license_status == licensing.UNLICENSED and not s.evidence.files and not s.evidence.links
    ]
    if declared_links:
        yield RK703.finding(
            ".",
            f"{_labels(declared_links)}: linked in releasekit.toml without a license: it cannot count as open: "
            "declare its license in releasekit.toml [openness.licenses]",
        )
    if card_links:
        yield RK703.finding(
            ".",
            f"{_labels(card_links)}: linked from the model card ({_first_links(card_links)}) without a "
            "declared license, so not counted as open: declare it in releasekit.toml [openness.licenses] "
            f'(e.g. {card_links[0].component.id} = "{licensing.examples(card_links[0].component.type).split(",")[0]}")',
            severity=Severity.INFO,
        )
    linked_docs = [s for s in present if s.license_status == licensing.LINKED_DOCUMENT]
    if linked_docs:
        yield RK703.finding(
            ".",
            f"{_labels(linked_docs)}: public documents linked ({_first_links(linked_docs)}) without a declared "
            "license: counted toward the class as readable by anyone; declare the license in releasekit.toml "
            "[openness.licenses] to make the class certain",
            severity=Severity.INFO,
        )
    by_license: dict[str, list[ComponentStatus]] = {}
    for s in present:
        if s.license_status == licensing.NOT_OPEN:
            by_license.setdefault(s.license or "", []).append(s)
    for license_id, statuses in by_license.items():
        types = sorted({s.component.type for s in statuses})
        yield RK703.finding(
            _where(statuses[0]),
            f"{_labels(statuses)} under {license_id}, which is not an open license for "
            f"{' or '.join(types)}: they do not count toward an openness class (to count, use one "
            f"such as {licensing.examples(types[0])})",
            severity=Severity.INFO,  # a deliberate license choice, not a defect of the release
        )
    other_type = [f"{_label(s)} under {s.license}" for s in present if s.license_status == licensing.OPEN_OTHER_TYPE]
    if other_type:
        yield RK704.finding(
            ".",
            f"open, but not licenses made for their type: {'; '.join(other_type)}: the MOF "
            "recommends open data licenses for data and open content licenses for documents",
        )


def _labels(statuses: list[ComponentStatus]) -> str:
    names = [_label(s) for s in statuses]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _first_links(statuses: list[ComponentStatus]) -> str:
    links = [u for s in statuses for u in (*s.evidence.links, *s.evidence.card_links)]
    return ", ".join(links[:2]) + (f" and {len(links) - 2} more" if len(links) > 2 else "")


def _lines(result: Assessment) -> tuple[str, ...]:
    lines = [f"Class reached: {components.CLASS_NAMES[result.reached] if result.reached else 'none'}"]
    if result.next_class is not None:
        blockers = result.blocking(result.next_class)
        names = ", ".join(
            b.component.name.lower() + ("" if not b.present else f" (license: {b.license or 'none'})") for b in blockers
        )
        lines.append(f"Next, {components.CLASS_NAMES[result.next_class]}, needs: {names}")
    for s in result.components:
        mark = "x" if s.counts else ("!" if s.present else " ")
        where = ", ".join(s.evidence.where(2)) if s.present else "-"
        license_part = f" — {s.license or 'no license'} ({s.license_status})" if s.present else ""
        need = "class " + ("", "I", "II", "III")[s.component.mof_class]
        optional = "" if s.component.required else ", optional"
        lines.append(f"[{mark}] {s.component.name} ({s.component.type}, {need}{optional}): {where}{license_part}")
    return tuple(lines)
