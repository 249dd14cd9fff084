"""The `[publish]` table of releasekit.toml.

Its own module (no imports) so that the settings model can declare it without importing the
publishing machinery.
"""

SETTINGS_TABLE = {  # table [publish] of releasekit.toml
    "hf-repo": (str, None, "Hub repository to publish to (org/name), when --hf is not given."),
    "github-repo": (str, None, "GitHub repository for the code and the release (owner/name), when --github is not given."),
    "private": (bool, False, "Create missing repositories as private."),
}
