"""The `[provenance]` table of releasekit.toml: how the SBOMs name the release.

Its own module (no imports) so that the settings model can declare it without importing the
provenance machinery.
"""

SETTINGS_TABLE = {  # table [provenance] of releasekit.toml
    "name": (str, None, "The release's name in SBOMs (default: the card's `model_name`, else the folder name)."),
    "version": (str, None, "The release's version in SBOMs (default: the card's `version`, else NOASSERTION)."),
    "supplier": (str, None, "Who distributes the release, e.g. 'Example Lab' (SPDX PackageSupplier: Organization)."),
    "download_location": (str, None, "Where users download it, e.g. https://huggingface.co/org/model."),
}
