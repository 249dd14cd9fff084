"""Rules about the audit itself (not tied to one area): a crashed check, a path it could not read.

The engine reports RK001 through `registry.CRASH_RULE`; RK002 and RK003 come from the walk and
are reported by the check below, which runs whatever `--select` says (category `engine`).
"""

from collections.abc import Iterator

from releasekit.context import Context
from releasekit.findings import Finding, Severity
from releasekit.registry import CRASH_RULE, Rule, check

RK001 = Rule.define(
    CRASH_RULE, "check-crashed", category="engine", severity=Severity.ERROR,
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


@check(RK002, RK003)
def unreadable_and_special(ctx: Context) -> Iterator[Finding]:
    """What the walk could not read or would not open; selected whatever `--select` says."""
    for path in ctx.release.unreadable:
        yield RK002.finding(path, "cannot be read (permissions or I/O error); it was not audited")
    for path, what in ctx.release.special:
        yield RK003.finding(path, f"is {what}, not a file: remove it from the release (it was not opened)")
