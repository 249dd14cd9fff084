"""Rules the engine itself reports (not tied to one area)."""

from releasekit.findings import Severity
from releasekit.registry import Rule

RK001 = Rule.define(
    "RK001", "check-crashed", category="engine", severity=Severity.ERROR,
    summary="A check crashed; the rules it runs were not applied.",
    doc="""
    What it finds: a check raised an exception while auditing the release.

    Why it matters: the rules that check runs gave no verdict, so a clean report would be a lie.
    The run goes on with the other checks, and this error keeps the verdict honest.

    How to fix: report the message to the releasekit developers; meanwhile `--ignore` the rule
    ids it names if you have audited that part by other means.
    """,
)

RK002 = Rule.define(
    "RK002", "unreadable-path", category="engine", severity=Severity.ERROR,
    summary="A file or folder of the release could not be read.",
    doc="""
    What it finds: a path the walk could not stat, list or open (permissions, I/O errors).

    Why it matters: what cannot be read cannot be audited, and will likely fail to upload.

    How to fix: fix the permissions (`chmod -R u+rX`) or remove the path from the release.
    """,
)

RK003 = Rule.define(
    "RK003", "special-file", category="engine", severity=Severity.ERROR,
    summary="A named pipe, socket or device file sits in the release.",
    doc="""
    What it finds: a path that is neither a regular file, a folder nor a symlink.

    Why it matters: it cannot be uploaded or audited (releasekit never opens it: reading a named
    pipe would block forever), and it has no place in a model release.

    How to fix: remove it from the release folder.
    """,
)
