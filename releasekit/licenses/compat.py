"""Can a release under license R carry a file under license F?

A deliberately small model, from the license kinds in `spdx.py`: a permissive or weak-copyleft
release cannot carry strong-copyleft code (the GPL would govern the whole work) nor code under
restricted terms (non-commercial, field-of-use); weak copyleft (LGPL, MPL, EPL) in a permissive
release is allowed file by file but obliges the release to keep that file's license and offer its
source, so it is reported apart. A copyleft release can carry permissive code, except the known
GPL-2.0-only cases (Apache-2.0, GPL-3.0). A release under a model license (Llama, DeepSeek,
`other`) cannot carry copyleft code either: it adds restrictions the GPL forbids.
An expression `A OR B` is fine when either is; `A AND B` needs both.
"""

from __future__ import annotations

import dataclasses

from releasekit.licenses import spdx

OK = "ok"
WEAK = "weak-copyleft"
INCOMPATIBLE = "incompatible"
UNKNOWN = "unknown"
_ORDER = {OK: 0, UNKNOWN: 1, WEAK: 2, INCOMPATIBLE: 3}
_GPL2_ONLY_CANNOT = (
    "Apache-2.0",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
)


@dataclasses.dataclass(frozen=True)
class Verdict:
    status: str  # ok, weak-copyleft, incompatible, unknown
    license_id: str  # the id that decided it (the worst one of the best alternative)
    kind: str


def _one(release_id: str, release_kind: str, file_id: str) -> Verdict:
    kind = spdx.kind_of_id(file_id)
    if file_id == release_id:
        return Verdict(OK, file_id, kind)
    if release_kind == spdx.COPYLEFT:
        if release_id.startswith("GPL-2.0-only") and file_id in _GPL2_ONLY_CANNOT:
            return Verdict(INCOMPATIBLE, file_id, kind)
        if release_id.startswith(("GPL-3.0", "AGPL-3.0")) and file_id == "GPL-2.0-only":
            return Verdict(INCOMPATIBLE, file_id, kind)
        status = {spdx.PERMISSIVE: OK, spdx.WEAK_COPYLEFT: OK, spdx.COPYLEFT: OK, spdx.RESTRICTED: INCOMPATIBLE}.get(
            kind, UNKNOWN
        )
        return Verdict(status, file_id, kind)
    status = {spdx.PERMISSIVE: OK, spdx.WEAK_COPYLEFT: WEAK, spdx.COPYLEFT: INCOMPATIBLE}.get(kind, UNKNOWN)
    if kind == spdx.RESTRICTED:
        # Restricted code in an open release cannot be relicensed; in a restricted release we
        # cannot tell whether the two sets of terms agree.
        status = UNKNOWN if release_kind == spdx.RESTRICTED else INCOMPATIBLE
    return Verdict(status, file_id, kind)


def judge(release_id: str, file_expression: str) -> Verdict:
    """Whether a release licensed `release_id` may carry a file under `file_expression`."""
    release_kind = spdx.kind_of_id(release_id)
    best: Verdict | None = None
    for alternative in spdx.leaves(file_expression):
        verdicts = [_one(release_id, release_kind, lid) for lid in alternative] or [Verdict(OK, "", "")]
        worst = max(verdicts, key=lambda v: _ORDER[v.status])
        if best is None or _ORDER[worst.status] < _ORDER[best.status]:
            best = worst
    return best or Verdict(UNKNOWN, file_expression, spdx.UNKNOWN)
