"""The card's openness table, read from the openness rules' own assessment (never recomputed here).

Each row is one Model Openness Framework component: whether the release holds it, where, under
which license, and whether it counts toward a class. The values are those of the `openness`
section of `releasekit check --format json`, so the card and the report cannot disagree.
"""

from __future__ import annotations

import dataclasses

from releasekit.context import Context
from releasekit.openness.components import CLASS_NAMES
from releasekit.openness.evaluate import assess

_STATUS = {
    "open": "open",
    "open-not-type-specific": "open, but a license made for another type",
    "not-open": "not open",
    "unlicensed": "no license",
    "linked-license-undeclared": "linked; license not declared",
    "third-party": "third-party",
}


@dataclasses.dataclass(frozen=True)
class OpennessRow:
    id: str
    name: str
    mof_class: int
    required: bool
    present: bool
    where: tuple[str, ...]
    license: str | None
    license_status: str | None
    counts: bool

    @property
    def status_text(self) -> str:
        return _STATUS.get(self.license_status or "", "-") if self.present else "-"

    @property
    def class_text(self) -> str:
        return ("", "I", "II", "III")[self.mof_class] + ("" if self.required else " (optional)")


@dataclasses.dataclass(frozen=True)
class OpennessTable:
    reached: int | None
    class_name: str | None
    next_class_name: str | None
    missing_next: tuple[str, ...]  # component names the next class still needs
    rows: tuple[OpennessRow, ...]


def openness_table(ctx: Context) -> OpennessTable:
    result = assess(ctx)
    data = result.to_dict()
    rows = tuple(
        OpennessRow(
            id=c["id"], name=c["name"], mof_class=c["class"], required=c["required"], present=c["present"],
            where=tuple(c["files"][:3]) + tuple(c["links"]) + tuple(c.get("card_links", ()))
            + (("README.md (model-index)",) if c["in_card"] else ())
            + ((f"and {c['files_total'] - 3} more file(s)",) if c["files_total"] > 3 else ()),
            license=c["license"], license_status=c["license_status"], counts=c["counts"],
        )
        for c in data["components"]
    )
    nxt = data["next_class"]
    names = {r.id: r.name for r in rows}
    return OpennessTable(
        reached=data["class"],
        class_name=data["class_name"],
        next_class_name=nxt["class_name"] if nxt else None,
        missing_next=tuple(names[i] for i in (nxt["missing"] + nxt["license_blocked"])) if nxt else (),
        rows=rows,
    )


__all__ = ["CLASS_NAMES", "OpennessRow", "OpennessTable", "openness_table"]
