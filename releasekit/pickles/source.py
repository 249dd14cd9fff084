"""Sequential, bounded reads from a byte stream, with the absolute position of every byte.

Every reader in this package goes through `Source`: it never reads more than it is asked for,
never trusts a length field enough to allocate it (a declared 2**63-byte string is read in chunks
and fails as truncated when the data runs out), and skips large payloads (tensor bytes, array
data) by seeking when it can. The pickle decoder, the zip reader and the joblib array skipper all
share it, so the position in a finding is always the position in the file (or zip member).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

CHUNK = 1 << 16


class ReadError(Exception):
    """The bytes cannot be read as far as the format requires; `pos` is where it went wrong."""

    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos


class Truncated(ReadError):
    """The data ended before a read that the format requires."""

    def __init__(self, pos: int, wanted: int, got: int) -> None:
        super().__init__(pos, f"truncated: the data ends at byte {pos + got:,} but {wanted:,} byte(s) were needed "
                              f"from byte {pos:,}")
        self.wanted, self.got = wanted, got


class Source:
    """A forward-only byte stream: `read`, `readline`, `skip`, `peek`, with `pos` from the start.

    `raw_read(n)` returns at most n bytes (fewer only at the end of the data); `raw_skip(n)`,
    when given, moves forward without reading (a seek) and returns how many bytes it skipped.
    """

    def __init__(self, raw_read: Callable[[int], bytes], *, size: int | None = None,
                 raw_skip: Callable[[int], int] | None = None, start: int = 0) -> None:
        self._raw_read = raw_read
        self._raw_skip = raw_skip
        self._buf = b""  # bytes read ahead; the unread part starts at _off
        self._off = 0
        self._pos = start  # absolute position of _buf[_off]
        self.size = size
        self.start = start

    # -- constructors --------------------------------------------------------------------
    @classmethod
    def from_bytes(cls, data: bytes, *, start: int = 0) -> "Source":
        handle = io.BytesIO(data)
        return cls(handle.read, size=start + len(data), start=start, raw_skip=lambda n: _seek_skip(handle, n))

    @classmethod
    def from_file(cls, handle: BinaryIO, *, size: int, start: int = 0) -> "Source":
        """A source over an open file positioned at `start`, whose total length is `size`."""
        return cls(handle.read, size=size, start=start, raw_skip=lambda n: _seek_skip(handle, n, size))

    # -- state ---------------------------------------------------------------------------
    @property
    def pos(self) -> int:
        return self._pos

    @property
    def remaining(self) -> int | None:
        return None if self.size is None else self.size - self._pos

    def at_end(self) -> bool:
        return not self.peek(1)

    # -- reads ---------------------------------------------------------------------------
    def _available(self) -> int:
        return len(self._buf) - self._off

    def _fill(self, n: int) -> None:
        """Make the read-ahead hold at least n unread bytes if the data has them (chunked reads)."""
        if self._available() >= n:
            return
        parts = [self._buf[self._off:]]
        have = len(parts[0])
        while have < n:
            chunk = self._raw_read(max(CHUNK, min(n - have, 4 * CHUNK)))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        self._buf = b"".join(parts)
        self._off = 0

    def peek(self, n: int) -> bytes:
        self._fill(n)
        return self._buf[self._off:self._off + n]

    def read(self, n: int) -> bytes:
        """Exactly n bytes, or `Truncated`. Large reads grow chunk by chunk, never pre-allocated."""
        if n < 0:
            raise ValueError("negative read")
        off = self._off
        if off + n <= len(self._buf):  # the common case: already read ahead
            self._off = off + n
            self._pos += n
            return self._buf[off:off + n]
        if self.size is not None and n > self.size - self._pos:
            raise Truncated(self._pos, n, self.size - self._pos)
        self._fill(n)
        if self._available() < n:
            raise Truncated(self._pos, n, self._available())
        data = self._buf[self._off:self._off + n]
        self._off += n
        self._pos += n
        return data

    def readline(self, limit: int) -> bytes:
        """Bytes up to and including the next b'\\n'; `Truncated` when there is none within `limit`."""
        scanned = 0
        while True:
            index = self._buf.find(b"\n", self._off + scanned)
            if index >= 0:
                return self.read(index - self._off + 1)
            scanned = self._available()
            if scanned >= limit:
                raise Truncated(self._pos, limit + 1, scanned)
            before = scanned
            self._fill(before + 1)
            if self._available() == before:
                raise Truncated(self._pos, before + 1, before)

    def skip(self, n: int) -> None:
        """Move forward n bytes without keeping them (seeks when the stream allows)."""
        if n < 0:
            raise ValueError("negative skip")
        if self.size is not None and n > self.size - self._pos:
            raise Truncated(self._pos, n, self.size - self._pos)
        take = min(n, self._available())
        self._off += take
        self._pos += take
        left = n - take
        if left and self._raw_skip is not None:
            skipped = self._raw_skip(left)
            self._pos += skipped
            left -= skipped
            if left:
                raise Truncated(self._pos, left, 0)
            return
        while left:
            chunk = self._raw_read(min(left, 4 * CHUNK))
            if not chunk:
                raise Truncated(self._pos, left, 0)
            self._pos += len(chunk)
            left -= len(chunk)


def _seek_skip(handle: BinaryIO, n: int, size: int | None = None) -> int:
    here = handle.tell()
    target = here + n if size is None else min(here + n, size)
    handle.seek(target)
    return target - here
