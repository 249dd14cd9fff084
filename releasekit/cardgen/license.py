"""The card's `license:` metadata, from the license text the release ships.

The root license files are identified by releasekit.licenses (canonical texts, model-license
titles, askalono). With separate code and model licenses (DeepSeek-V3's `LICENSE-CODE` and
`LICENSE-MODEL`) the card names the weights' license: the Hub's `license:` is about the model.
A license the Hub has an id for is written as that id; any other (a model license such as the
DeepSeek License) as `license: other` with `license_name` and `license_link` to the file.
"""

from __future__ import annotations

import dataclasses
import re

from releasekit.cardgen.facts import CardError
from releasekit.context import Context
from releasekit.licenses import hub, identify
from releasekit.licenses.scan import is_license_name
from releasekit.release import FileKind

_MODEL_FILE = re.compile(r"licen[cs]e[-_.]?(model|weights?)", re.I)
_CODE_FILE = re.compile(r"licen[cs]e[-_.]?code", re.I)
_FAMILIES = frozenset({"other", "unknown", "bsd", "cc", "gpl", "lgpl", "gfdl"})  # Hub ids naming several licenses


@dataclasses.dataclass(frozen=True)
class CardLicense:
    hub_id: str  # what goes in `license:`
    spdx_id: str  # what the text was identified as (SPDX id or LicenseRef-)
    path: str  # the license file the card links to
    name: str | None = None  # license_name, for `other`
    code_license: tuple[str, str] | None = None  # (SPDX id, path) when code has its own license

    @property
    def link(self) -> str:
        return self.path

    def metadata(self) -> dict[str, str]:
        if self.hub_id == "other":
            return {"license": "other", "license_name": self.name or "", "license_link": self.path}
        return {"license": self.hub_id}


def hub_id_for(spdx_id: str) -> str | None:
    """The Hub license id that names exactly `spdx_id` (not a family), or None."""
    if spdx_id.startswith("LicenseRef-"):
        candidate = spdx_id[len("LicenseRef-"):]
        return candidate if hub.is_hub_license(candidate) and candidate not in ("other", "unknown") else None
    ids = [i for i in sorted(hub.hub_license_ids()) if i not in _FAMILIES and hub.spdx_pattern(i) is not None]
    exact = [i for i in ids if hub.to_spdx(i) == spdx_id]
    agreeing = [i for i in ids if hub.agrees(i, spdx_id)]  # GPL-3.0-or-later -> gpl-3.0
    return (exact or agreeing or [None])[0]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-")


def card_license(ctx: Context, declared_name: str | None) -> CardLicense:
    """The weights' license as the card must state it. Raises CardError when it cannot be told."""
    files = [f for f in ctx.release.of_kind(FileKind.LICENSE) if not f.parent and is_license_name(f.name)]
    if not files:
        raise CardError("no license file at the root of the release: add the license text as LICENSE "
                        "(the card's `license:` is read from it)")
    identified = {f.path: identify.identify(ctx.read_text(f, identify.MAX_LICENSE_BYTES)) for f in files}
    model_files = [f.path for f in files if _MODEL_FILE.search(f.name)]
    code_files = [f.path for f in files if _CODE_FILE.search(f.name)]
    plain = [f.path for f in files if f.path not in model_files and f.path not in code_files]
    candidates = model_files or plain or code_files
    path = candidates[0]
    ident = identified[path]
    code = None
    if model_files and code_files and identified[code_files[0]].license_id:
        code = (identified[code_files[0]].license_id or "", code_files[0])
    if ident.license_id is None:
        if declared_name:
            return CardLicense("other", f"LicenseRef-{_slug(declared_name)}", path, _slug(declared_name), code)
        near = f" (close to {ident.closest})" if ident.closest else ""
        raise CardError(f"{path}: releasekit cannot identify this license text{near}: use a standard text, or "
                        'name the license in releasekit.toml [card] license_name = "..." (then `license: other`)')
    hub_id = hub_id_for(ident.license_id)
    if hub_id is not None:
        return CardLicense(hub_id, ident.license_id, path, None, code)
    name = ident.license_id[len("LicenseRef-"):] if ident.license_id.startswith("LicenseRef-") else ident.license_id
    return CardLicense("other", ident.license_id, path, _slug(declared_name or name), code)
