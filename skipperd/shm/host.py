"""Per-host shared state: named segments that every worker of a host maps read-write.

This is ``FilterOptions.host_state`` in workers (docs/architecture.md, invariant 7). A filter asks
for ``segment(name, size)`` and gets a ``SharedSegment``: ``buf``, a writable mapping of ``size``
bytes (zero-filled when first created), and ``locked()``, which holds an exclusive ``flock`` on
the segment while the filter reads and updates it. The kernel drops an ``flock`` when its holder
dies, so a worker SIGKILLed in the middle of an update never blocks the others; what the filter
stores must stay readable when an update stops half-way (write the value before the word that
publishes it).

The segment is ``/skipperd-<instance>-hs-<name>``, created by the first process that asks,
sized once, and removed with the instance's other segments by the arbiter
(``segment.cleanup_stale``), so it outlives worker restarts but not skipperd's. Only table swaps
and other rare events should take the lock: the request path reads copies the worker keeps.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import re
from contextlib import contextmanager
from typing import Iterator

import posix_ipc

from skipperd.errors import SkipperdError

_NAME = re.compile(r"[a-z0-9]{1,32}")


class HostStateError(SkipperdError):
    """A per-host segment cannot be created or mapped."""


def segment_name(instance: str, name: str) -> str:
    return f"/skipperd-{instance}-hs-{name}"


class SharedSegment:
    """One mapped segment and the descriptor its lock is taken on."""

    __slots__ = ("name", "buf", "fd")

    def __init__(self, name: str, buf: mmap.mmap, fd: int) -> None:
        self.name = name
        self.buf = buf
        self.fd = fd

    @contextmanager
    def locked(self) -> Iterator[None]:
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self.fd >= 0:
            self.buf.close()
            os.close(self.fd)
            self.fd = -1


class HostSegments:
    """The per-host segments of one skipperd instance, mapped on first use."""

    __slots__ = ("instance", "_open")

    def __init__(self, instance: str) -> None:
        self.instance = instance
        self._open: dict[str, SharedSegment] = {}

    def segment(self, name: str, size: int) -> SharedSegment:
        seg = self._open.get(name)
        if seg is not None:
            return seg
        if not _NAME.fullmatch(name) or size <= 0:
            raise HostStateError(f"invalid per-host segment {name!r} of {size} bytes")
        full = segment_name(self.instance, name)
        try:
            shm = posix_ipc.SharedMemory(full, posix_ipc.O_CREAT, mode=0o600)
            fd = shm.fd
            # Sizing under the lock: two first users must not both truncate (ftruncate to the
            # same size keeps the content, but a smaller size would cut another's data).
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.fstat(fd).st_size < size:
                    os.ftruncate(fd, size)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            buf = mmap.mmap(fd, size)
        except (posix_ipc.Error, OSError, ValueError) as e:
            raise HostStateError(f"cannot map per-host segment {full}: {e}") from None
        seg = self._open[name] = SharedSegment(full, buf, fd)
        return seg

    def close(self) -> None:
        for seg in self._open.values():
            seg.close()
        self._open.clear()
