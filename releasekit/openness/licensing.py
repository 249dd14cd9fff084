"""Is a license open, and fit for a component's type, in the Model Openness Framework's terms?

Open: OSI-approved or FSF-libre (SPDX list flags), an open data license, or OpenMDW (the MOT's
`LicenseHandler::isOpenSourceLicense`). Fit for its type: code under an OSI-approved license
(the MOF paper), data under an open data license, documents under an open content license (the
MOT's type lists, `data/mof_licenses-*.json`). An open license of another type still counts
toward a class but the MOT flags it, and so do we.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from releasekit import datafiles
from releasekit.licenses import spdx
from releasekit.openness.components import CODE

MOF_LICENSES_FILE = "mof_licenses-2025-07.json"
OPEN = "open"
OPEN_OTHER_TYPE = "open-not-type-specific"
NOT_OPEN = "not-open"
UNLICENSED = "unlicensed"
# A public document the release links (a paper on arXiv) without saying its license: counted,
# since anyone may read it, and reported so the lab declares the license it is under.
LINKED_DOCUMENT = "linked-license-undeclared"
# Libraries the release only lists (requirements.txt): each keeps its own license.
THIRD_PARTY = "third-party"
COUNTS = frozenset({OPEN, OPEN_OTHER_TYPE, LINKED_DOCUMENT})
_RANK = {OPEN: 0, OPEN_OTHER_TYPE: 1, NOT_OPEN: 2, UNLICENSED: 3}


@functools.cache
def _data() -> dict[str, Any]:
    return json.loads(datafiles.read_text(MOF_LICENSES_FILE))  # type: ignore[no-any-return]


def is_open(license_id: str) -> bool:
    data = _data()
    return (
        spdx.is_osi(license_id)
        or spdx.is_fsf(license_id)
        or license_id in data["open_data"]
        or license_id in data["open_any"]
    )


def fits_type(license_id: str, content_type: str) -> bool:
    if content_type == CODE and spdx.is_osi(license_id):
        return True
    return license_id in _data()["type_appropriate"].get(content_type, [])


def assess(expression: str | None, content_type: str) -> str:
    """OPEN, OPEN_OTHER_TYPE, NOT_OPEN or UNLICENSED for a component under `expression`."""
    if not expression:
        return UNLICENSED
    best = NOT_OPEN
    for alternative in spdx.leaves(expression):
        if not alternative:
            continue
        if all(fits_type(i, content_type) and is_open(i) for i in alternative):
            status = OPEN
        elif all(is_open(i) for i in alternative):
            status = OPEN_OTHER_TYPE
        else:
            status = NOT_OPEN
        if _RANK[status] < _RANK[best]:
            best = status
    return best


def examples(content_type: str) -> str:
    """A few licenses that fit `content_type`, for messages."""
    return {"code": "MIT, Apache-2.0", "data": "CDLA-Permissive-2.0, CC-BY-4.0", "document": "CC-BY-4.0"}.get(
        content_type, "an open license"
    )
