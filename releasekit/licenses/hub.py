"""The Hub's license identifiers and what each means in SPDX terms.

The Hub accepts a fixed list of ids in a card's `license:` (snapshot in
`data/hub_licenses-*.json`, dated, with its source). Most name one SPDX license; some name a
family (`gpl`, `cc`, `bsd`) that several SPDX ids satisfy; the model licenses (`llama3.1`,
`gemma`, the RAIL family) have no SPDX id, so we give them `LicenseRef-<hub id>`.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from releasekit import datafiles
from releasekit.licenses import spdx

HUB_LICENSES_FILE = "hub_licenses-2026-06.json"

# Hub id -> the SPDX ids (or families, as regular expressions) a license text may be and agree.
_SPDX: dict[str, str] = {
    "apache-2.0": "Apache-2.0",
    "mit": "MIT",
    "afl-3.0": "AFL-3.0",
    "artistic-2.0": "Artistic-2.0",
    "bsl-1.0": "BSL-1.0",
    "bsd": r"BSD-.*|0BSD",
    "bsd-2-clause": "BSD-2-Clause",
    "bsd-3-clause": "BSD-3-Clause",
    "bsd-3-clause-clear": "BSD-3-Clause-Clear",
    "c-uda": "C-UDA-1.0",
    "cc": r"CC-.*|CC0-1\.0",
    "cc0-1.0": "CC0-1.0",
    "cdla-sharing-1.0": "CDLA-Sharing-1.0",
    "cdla-permissive-1.0": "CDLA-Permissive-1.0",
    "cdla-permissive-2.0": "CDLA-Permissive-2.0",
    "wtfpl": "WTFPL",
    "ecl-2.0": "ECL-2.0",
    "epl-1.0": "EPL-1.0",
    "epl-2.0": "EPL-2.0",
    "etalab-2.0": "etalab-2.0",
    "eupl-1.1": "EUPL-1.1",
    "eupl-1.2": "EUPL-1.2",
    "agpl-3.0": r"AGPL-3\.0(-only|-or-later)?",
    "gfdl": r"GFDL-.*",
    "gpl": r"GPL-.*",
    "gpl-2.0": r"GPL-2\.0(-only|-or-later)?",
    "gpl-3.0": r"GPL-3\.0(-only|-or-later)?",
    "lgpl": r"LGPL-.*",
    "lgpl-2.1": r"LGPL-2\.1(-only|-or-later)?",
    "lgpl-3.0": r"LGPL-3\.0(-only|-or-later)?",
    "isc": "ISC",
    "lppl-1.3c": "LPPL-1.3c",
    "ms-pl": "MS-PL",
    "mpl-2.0": "MPL-2.0",
    "odc-by": "ODC-By-1.0",
    "odbl": "ODbL-1.0",
    "openmdw-1.0": "OpenMDW-1.0",
    "openmdw-1.1": "OpenMDW-1.1",
    "osl-3.0": "OSL-3.0",
    "postgresql": "PostgreSQL",
    "ofl-1.1": "OFL-1.1",
    "ncsa": "NCSA",
    "unlicense": "Unlicense",
    "zlib": "Zlib",
    "pddl": "PDDL-1.0",
    "lgpl-lr": "LGPLLR",
    "apple-ascl": "AML",  # the Hub's "Apple Sample Code license" is the SPDX list's Apple MIT License
    # cc-by-*, cc-by-sa-*, cc-by-nc-* ... follow one pattern (below).
}
_CC = re.compile(r"^cc-(by(?:-nc)?(?:-nd|-sa)?)-(\d\.\d)$")
# Names people write in `license:` that the Hub does not list, with the right way to say it.
SUGGESTIONS = {
    "deepseek": "license: other, license_name: deepseek-license, license_link: LICENSE",
    "deepseek-license": "license: other, license_name: deepseek-license, license_link: LICENSE",
    "llama3.1-community": "license: llama3.1",
    "apache 2.0": "license: apache-2.0",
    "apache2": "license: apache-2.0",
    "apache-2": "license: apache-2.0",
    "gpl-3": "license: gpl-3.0",
    "cc-by-4": "license: cc-by-4.0",
    "qwen": "license: other, license_name: qwen, license_link: LICENSE",
    "qwen-research": "license: other, license_name: qwen-research, license_link: LICENSE",
}
# Hub ids that name no SPDX license: model licenses and families of them (`LicenseRef-<id>`).
NO_SPDX = frozenset(
    {
        "openrail", "bigscience-openrail-m", "creativeml-openrail-m", "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m", "openrail++", "h-research", "intel-research", "apple-amlr",
        "deepfloyd-if-license", "fair-noncommercial-research-license", "llama2", "llama3", "llama3.1",
        "llama3.2", "llama3.3", "llama4", "grok2-community", "gemma", "unknown", "other",
    }
)  # fmt: skip


@functools.cache
def hub_license_data() -> dict[str, Any]:
    """The dated snapshot of the Hub's license list, with its provenance."""
    text = datafiles.read_text(HUB_LICENSES_FILE)
    return json.loads(text)  # type: ignore[no-any-return]


@functools.cache
def hub_license_ids() -> frozenset[str]:
    return frozenset(entry["id"] for entry in hub_license_data()["licenses"])


def is_hub_license(value: str) -> bool:
    return value in hub_license_ids()


def suggestion(value: str) -> str | None:
    """What to write instead of an id the Hub does not accept, when we can guess."""
    lowered = value.strip().lower()
    if lowered in hub_license_ids():
        return f"license: {lowered}"  # only the case was wrong
    return SUGGESTIONS.get(lowered)


def spdx_pattern(hub_id: str) -> str | None:
    """A regular expression of the SPDX ids that `hub_id` stands for, None for model licenses."""
    if hub_id in _SPDX:
        return _SPDX[hub_id]
    match = _CC.match(hub_id)
    if match:
        return re.escape(f"CC-{match.group(1).upper()}-{match.group(2)}")
    return None


def to_spdx(hub_id: str, license_name: str | None = None) -> str:
    """The SPDX id (or `LicenseRef-...`) a Hub id names; families give their most common member."""
    cc = _CC.match(hub_id)
    if cc:
        return f"CC-{cc.group(1).upper()}-{cc.group(2)}"
    pattern = spdx_pattern(hub_id)
    if pattern is not None and re.fullmatch(r"[A-Za-z0-9.\-]+", pattern.replace("\\.", ".")):
        return pattern.replace("\\", "")
    family_default = {
        "bsd": "BSD-3-Clause",
        "cc": "CC-BY-4.0",
        "gpl": "GPL-3.0-only",
        "lgpl": "LGPL-3.0-only",
        "gfdl": "GFDL-1.3-only",
        "agpl-3.0": "AGPL-3.0-only",
        "gpl-2.0": "GPL-2.0-only",
        "gpl-3.0": "GPL-3.0-only",
        "lgpl-2.1": "LGPL-2.1-only",
        "lgpl-3.0": "LGPL-3.0-only",
    }
    if hub_id in family_default:
        return family_default[hub_id]
    if hub_id == "other" and license_name:
        return "LicenseRef-" + re.sub(r"[^A-Za-z0-9.\-]+", "-", license_name).strip("-")
    return "LicenseRef-" + re.sub(r"[^A-Za-z0-9.\-]+", "-", hub_id).strip("-")


def agrees(hub_id: str, spdx_id: str, license_name: str | None = None) -> bool | None:
    """Whether a card's `license: hub_id` agrees with a text identified as `spdx_id`.

    None when we cannot tell (`other`, `unknown`): those say "see the text", which cannot disagree.
    """
    if hub_id in ("other", "unknown"):
        if license_name and spdx_id.startswith("LicenseRef-"):
            # "deepseek-license" names LicenseRef-deepseek-license; "qwen-research" is not "qwen".
            if _name_slug(license_name) == _name_slug(spdx_id[len("LicenseRef-") :]):
                return True
            named = to_spdx("other", license_name)
            # The card names a model license we know, and the text is another one (qwen vs qwen-research).
            return False if spdx.is_model_license_ref(named) and spdx.is_model_license_ref(spdx_id) else None
        return None
    pattern = spdx_pattern(hub_id)
    if pattern is None:  # a model license: we identify those by their title only
        return spdx_id == to_spdx(hub_id)
    return re.fullmatch(pattern, spdx_id) is not None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _name_slug(text: str) -> str:
    """A license name without punctuation nor a trailing "license (agreement)"."""
    return re.sub(r"(licen[cs]e)?(agreement)?$", "", _slug(text)) or _slug(text)
