"""Put it together: each component's presence and license, the class reached, what the next needs.

License resolution follows the MOT (`ModelEvaluator::resolveLicense`): a license declared for
the component, else one declared for its type, else what the release says about the files that
hold it (an SPDX header, the license file of a vendored folder, a root `LICENSE-CODE` /
`LICENSE-MODEL` split), else the release's license. A component only linked from releasekit.toml
has no license unless one is declared for it: a link says nothing about its terms.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from releasekit.context import Context
from releasekit.licenses import scan
from releasekit.openness import licensing
from releasekit.openness.components import CLASS_NAMES, CODE, COMPONENTS, DATA, DOCUMENT, Component, required_for
from releasekit.openness.detect import Evidence, detect
from releasekit.openness.settings import OpennessSettings, is_url, parse_settings, release_path

FRAMEWORK = "Model Openness Framework (LF AI & Data, arXiv:2403.13784)"
SCHEMA_VERSION = 1
# Root license files that cover one kind of component (DeepSeek-V3 ships LICENSE-CODE and LICENSE-MODEL).
_SPLIT = (
    (re.compile(r"licen[cs]e[-_.]?code", re.I), (CODE,)),
    (re.compile(r"licen[cs]e[-_.]?(model|weights?)", re.I), ("model_parameters", "intermediate_checkpoints")),
    (re.compile(r"licen[cs]e[-_.]?data", re.I), (DATA,)),
    (re.compile(r"licen[cs]e[-_.]?docs?", re.I), (DOCUMENT,)),
)


@dataclasses.dataclass(frozen=True)
class ComponentStatus:
    component: Component
    evidence: Evidence
    license: str | None
    license_source: str | None
    license_status: str | None  # None when the component is absent

    @property
    def present(self) -> bool:
        return self.evidence.present

    @property
    def counts(self) -> bool:
        return self.present and self.license_status in licensing.COUNTS

    def to_dict(self) -> dict[str, Any]:
        c = self.component
        return {
            "id": c.id,
            "name": c.name,
            "class": c.mof_class,
            "required": c.required,
            "type": c.type,
            "present": self.present,
            "files": list(self.evidence.files[:20]),
            "files_total": len(self.evidence.files),
            "links": list(self.evidence.links),
            "in_card": bool(self.evidence.card),
            "card": list(self.evidence.card),
            "card_links": list(self.evidence.card_links),
            "license": self.license,
            "license_source": self.license_source,
            "license_status": self.license_status,
            "counts": self.counts,
        }


@dataclasses.dataclass(frozen=True)
class Assessment:
    components: tuple[ComponentStatus, ...]
    reached: int | None  # 3, 2, 1 or None
    settings: OpennessSettings
    missing_paths: tuple[str, ...]  # declared paths that are not in the release

    def status(self, component_id: str) -> ComponentStatus:
        return next(s for s in self.components if s.component.id == component_id)

    @property
    def next_class(self) -> int | None:
        return None if self.reached == 1 else (3 if self.reached is None else self.reached - 1)

    def blocking(self, mof_class: int) -> list[ComponentStatus]:
        """Required components of `mof_class` (cumulative) that do not count yet."""
        blockers = [self.status(c.id) for c in required_for(mof_class) if not self.status(c.id).counts]
        if self.status("research_paper").counts:  # a research paper may stand in for the technical report
            blockers = [b for b in blockers if b.component.id != "technical_report"]
        return blockers

    def to_dict(self) -> dict[str, Any]:
        next_class = self.next_class
        return {
            "schema_version": SCHEMA_VERSION,
            "framework": FRAMEWORK,
            "class": self.reached,
            "class_name": CLASS_NAMES.get(self.reached) if self.reached else None,
            "next_class": None
            if next_class is None
            else {
                "class": next_class,
                "class_name": CLASS_NAMES[next_class],
                "missing": [b.component.id for b in self.blocking(next_class) if not b.present],
                "license_blocked": [b.component.id for b in self.blocking(next_class) if b.present],
            },
            "components": [s.to_dict() for s in self.components],
        }


_WEIGHTS = ("model_parameters", "intermediate_checkpoints")
# Files that only list third-party libraries: those keep their own licenses.
_MANIFEST = re.compile(
    r"(.*/)?(requirements[^/]*\.txt|environment\.ya?ml|pyproject\.toml|setup\.py|setup\.cfg|Pipfile)$"
)


def _release_licenses(ctx: Context, component_id: str) -> tuple[str | None, str | None, dict[str, tuple[str, str]]]:
    """The default license of a component (the weights' license for weights, the code's or the
    release's for the rest) and the split licenses (LICENSE-CODE, LICENSE-MODEL ...)."""
    result = scan.scan(ctx)
    split: dict[str, tuple[str, str]] = {}
    for lf in result.top:
        for pattern, targets in _SPLIT:
            if pattern.search(lf.path) and lf.identification.license_id:
                for target in targets:
                    split.setdefault(target, (lf.identification.license_id, lf.path))
    if component_id in _WEIGHTS:
        return result.release_license, result.release_license_source, split
    return result.code_license, result.code_license_source, split


def _file_license(result: scan.LicenseScan, path: str) -> tuple[str, str] | None:
    headers = [h for h in result.headers if h.path == path and h.parsed.normalized]
    if headers:
        return headers[0].parsed.normalized or "", f"{path} (SPDX header)"
    nested = result.nested_license_of(path)
    if nested and nested.identification.license_id:
        return nested.identification.license_id, nested.path
    return None


def _resolve(
    ctx: Context, component: Component, evidence: Evidence, settings: OpennessSettings
) -> tuple[str | None, str | None]:
    if component.id in settings.licenses:
        return settings.licenses[component.id], f"releasekit.toml [openness.licenses] {component.id}"
    if component.type in settings.licenses:
        return settings.licenses[component.type], f"releasekit.toml [openness.licenses] {component.type}"
    if not evidence.files and not evidence.card:
        return None, None  # linked only: its terms are wherever the link points
    result = scan.scan(ctx)
    release_license, release_source, split = _release_licenses(ctx, component.id)
    default = (
        split.get(component.id)
        or split.get(component.type)
        or ((release_license, release_source) if release_license else None)
    )
    found: dict[str, str] = {}
    for path in _own_files(evidence):
        specific = _file_license(result, path)
        pick = specific or default
        if pick is None:
            return None, None  # a file with no license at all leaves the component unlicensed
        found.setdefault(pick[0], pick[1])
    if not _own_files(evidence) and evidence.card and default:
        found[default[0]] = default[1]
    if not found:
        return None, None
    expression = " AND ".join(f"({e})" if " " in e and len(found) > 1 else e for e in found)
    return expression, ", ".join(dict.fromkeys(found.values()))


def _own_files(evidence: Evidence) -> tuple[str, ...]:
    return tuple(p for p in evidence.files if not _MANIFEST.match(p))


def _status(component: Component, evidence: Evidence, license_id: str | None) -> str:
    if license_id is None and evidence.files and not _own_files(evidence) and not evidence.card:
        return licensing.THIRD_PARTY  # requirements.txt: the libraries keep their own licenses
    if license_id is None and not evidence.files and not evidence.card and component.type == DOCUMENT:
        return licensing.LINKED_DOCUMENT
    return licensing.assess(license_id, component.type)


def assess(ctx: Context) -> Assessment:
    """The openness assessment of the release (computed once per run)."""

    def compute() -> Assessment:
        settings = parse_settings(ctx.settings.section("openness"))
        evidence = detect(ctx, dict(settings.locations), settings.withheld)
        statuses = []
        for component in COMPONENTS:
            ev = evidence.get(component.id, Evidence())
            if ev.present:
                license_id, source = _resolve(ctx, component, ev, settings)
                status = _status(component, ev, license_id)
            else:
                license_id, source, status = None, None, None
            statuses.append(ComponentStatus(component, ev, license_id, source, status))
        missing_paths = tuple(
            d
            for paths in settings.locations.values()
            for d in paths
            if not is_url(d) and not _exists(ctx, release_path(d))
        )
        partial = Assessment(tuple(statuses), None, settings, missing_paths)
        reached = None
        for mof_class in (3, 2, 1):
            if partial.blocking(mof_class):
                break
            reached = mof_class
        return dataclasses.replace(partial, reached=reached)

    return ctx.memo("openness.assessment", compute)


def _exists(ctx: Context, path: str | None) -> bool:
    return bool(path) and (ctx.release.by_path(path) is not None or path in ctx.release.directories)
