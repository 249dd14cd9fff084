"""File writes that never leave a half-written file under the final name, nor replace what is not a file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from releasekit.errors import ReleasekitError


def _umask_mode() -> int:
    """The mode a new file gets from the umask (mkstemp's 0600 is for the temporary name only)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then rename it into place.

    The file keeps the mode of the file it replaces, or gets the umask's mode when it is new. Only
    a regular file is ever replaced: renaming over `/dev/null`, a FIFO or a symlink would destroy it.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        existing = os.lstat(path)
    except FileNotFoundError:
        mode = _umask_mode()
    except OSError as exc:
        raise ReleasekitError(f"{path}: cannot write: {exc.strerror or exc}") from None
    else:
        if not stat.S_ISREG(existing.st_mode):
            raise ReleasekitError(f"{path}: is not a regular file; refusing to replace it (name a file)")
        mode = stat.S_IMODE(existing.st_mode)
    import tempfile  # ~3 ms of start-up that a report on standard output never needs

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ReleasekitError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ReleasekitError(f"{path}: cannot write: {exc.strerror or exc}") from None


def write_output(path: Path, data: bytes) -> None:
    """Write a report where the user asked: a regular file atomically; a pipe, FIFO or terminal
    (`/dev/stdout`) by writing through; a symlink's target, never the link itself.

    A folder, a block device or a socket is refused: replacing one would destroy it.
    """
    path = Path(path)
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        write_atomic(path, data)
        return
    except OSError as exc:
        raise ReleasekitError(f"{path}: cannot write: {exc.strerror or exc}") from None
    target = Path(os.path.realpath(path)) if stat.S_ISLNK(link.st_mode) else path
    try:
        info = os.stat(target)
    except FileNotFoundError:  # a dangling link: create its target, keep the link
        write_atomic(target, data)
        return
    except OSError as exc:
        raise ReleasekitError(f"{path}: cannot write: {exc.strerror or exc}") from None
    if stat.S_ISREG(info.st_mode):
        write_atomic(target, data)
    elif stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
        try:
            with open(target, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise ReleasekitError(f"{path}: cannot write: {exc.strerror or exc}") from None
    else:
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file, pipe or terminal"
        raise ReleasekitError(f"{path}: is {kind}; refusing to replace it (name a file)")
