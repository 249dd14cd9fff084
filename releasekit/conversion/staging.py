"""The name of the folder where `convert` keeps unfinished output: shared with `check`, which
reports one left in a release, without loading the converter to learn it."""

STAGING_DIR = ".releasekit-convert"  # where a run keeps unfinished output (see resume.py)
