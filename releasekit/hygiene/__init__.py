"""Hygiene of a release folder: links, leaked local paths, junk files, Hub structure limits.

Pure library code over the release model (`releasekit.release.Release`); the rules that report
these facts live in `checks/hygiene.py`.
"""
