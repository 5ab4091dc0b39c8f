"""Per-host metrics in shared memory: one slot per process, summed by the reader.

How it works
============

One segment per instance, ``/skipperd-<instance>-met``, created by the arbiter before it forks
anything (``create``), removed with the instance's other segments (``segment.cleanup_stale``).
Pages are touched only when used, so the nominal size costs little memory::

    0        4096     segment header: magic b"SKPDMET1", layout version, slot count, slot size,
                      bucket count, then the histogram bucket bounds (u64 nanoseconds)
    4096 + i*SLOT     slot i (slot 0: the route supervisor; 1..: workers)

A slot, every field a native u64 word::

    0   256           header: W_MAGIC, W_PID, W_STARTED (unix ns), W_GENERATION (table served),
                      W_REQUESTS (served by this process), W_CONNS (open client connections),
                      W_NKEYS (directory entries published), W_BOOTS (processes that used the slot),
                      W_DROPPED (keys refused for lack of room)
    256 ...           values: VALUE_WORDS words
    ... ...           directory: NAME_BYTES bytes of entries ``u32 name length, u32 first value word,
                      u8 kind, name`` appended one after the other

Each slot has exactly one writer, the process the arbiter gave it to, so no lock is needed: a
counter is ``words[i] += n`` on the mapping (an aligned 8-byte store; a reader sees the old value
or the new one). A new key is appended to the directory first and published by incrementing
``W_NKEYS`` afterwards, so a reader only parses complete entries; a writer killed mid-append
leaves bytes past ``W_NKEYS`` that the next writer overwrites (sizes are recomputed from the
published entries on ``attach``, never trusted from a word).

Counters never go back: the arbiter gives a restarted worker the slot of the one that died,
and ``attach`` continues from the values in it. A SIGKILL loses at most the one increment in
flight. A histogram is ``len(bounds) + 1`` bucket words (the last one is +Inf), then the sum
of the observations in seconds as a float64. A gauge is a float64 in its word.

The bucket bounds are fixed for the life of the segment (the start settings): all slots and the
reader agree on them.
"""

from __future__ import annotations

import mmap
import os
import struct
import time
from dataclasses import dataclass
from typing import Iterator

import posix_ipc

from skipperd.errors import SkipperdError

MAGIC = b"SKPDMET1"
LAYOUT_VERSION = 1
HEADER = 4096
SLOT_HEADER = 256
VALUE_WORDS = 262144           # 2 MiB of values per slot (about 3,800 histograms)
NAME_BYTES = 1024 * 1024 - SLOT_HEADER  # directory per slot
SLOT_SIZE = SLOT_HEADER + VALUE_WORDS * 8 + NAME_BYTES
MAX_BOUNDS = 400
MODE = 0o600

COUNTER, GAUGE, HISTOGRAM = 0, 1, 2

# Slot header words.
W_MAGIC, W_PID, W_STARTED, W_GENERATION, W_REQUESTS, W_CONNS, W_NKEYS, W_BOOTS, W_DROPPED = range(9)
_SLOT_MAGIC = int.from_bytes(b"SKPDSLT1", "little")

_HEAD = struct.Struct("=8sIIII")  # magic, version, slots, slot size, bound count
_ENTRY = struct.Struct("=IIB")
_VALUES = SLOT_HEADER // 8     # index of the first value word in a slot's "Q" view
_NAMES = SLOT_HEADER + VALUE_WORDS * 8

assert SLOT_SIZE % mmap.PAGESIZE == 0 and HEADER % mmap.PAGESIZE == 0


class SlotsError(SkipperdError):
    pass


def segment_name(instance: str) -> str:
    return f"/skipperd-{instance}-met"


def histogram_words(nbounds: int) -> int:
    return nbounds + 2  # buckets incl. +Inf, then the sum


def create(instance: str, slots: int, bounds_ns: list[int]) -> None:
    """Create (or re-create) the segment; the arbiter's job, before any slot is used."""
    if len(bounds_ns) > MAX_BOUNDS:
        raise SlotsError(f"at most {MAX_BOUNDS} histogram buckets")
    name = segment_name(instance)
    try:
        posix_ipc.unlink_shared_memory(name)
    except posix_ipc.ExistentialError:
        pass
    try:
        shm = posix_ipc.SharedMemory(name, posix_ipc.O_CREX, mode=MODE, size=HEADER + slots * SLOT_SIZE)
    except posix_ipc.Error as e:
        raise SlotsError(f"cannot create the metrics segment {name}: {e}") from None
    try:
        with mmap.mmap(shm.fd, HEADER) as mm:
            _HEAD.pack_into(mm, 0, MAGIC, LAYOUT_VERSION, slots, SLOT_SIZE, len(bounds_ns))
            struct.pack_into(f"={len(bounds_ns)}Q", mm, _HEAD.size, *bounds_ns)
    finally:
        shm.close_fd()


def remove(instance: str) -> None:
    try:
        posix_ipc.unlink_shared_memory(segment_name(instance))
    except posix_ipc.ExistentialError:
        pass


@dataclass(frozen=True, slots=True)
class Layout:
    slots: int
    bounds_ns: tuple[int, ...]


def _open(instance: str, read_only: bool) -> tuple[int, Layout]:
    try:
        shm = posix_ipc.SharedMemory(segment_name(instance), read_only=read_only)
    except posix_ipc.Error as e:
        raise SlotsError(f"cannot open the metrics segment: {e}") from None
    fd = shm.fd
    with mmap.mmap(fd, HEADER, prot=mmap.PROT_READ) as mm:
        magic, version, slots, size, nb = _HEAD.unpack_from(mm, 0)
        if magic != MAGIC or version != LAYOUT_VERSION or size != SLOT_SIZE or nb > MAX_BOUNDS:
            os.close(fd)
            raise SlotsError("the metrics segment has another layout")
        bounds = struct.unpack_from(f"={nb}Q", mm, _HEAD.size)
    return fd, Layout(slots, tuple(bounds))


class Slot:
    """The writer's side of one slot (exactly one process writes a slot)."""

    def __init__(self, instance: str, index: int) -> None:
        fd, layout = _open(instance, read_only=False)
        try:
            if not 0 <= index < layout.slots:
                raise SlotsError(f"no metrics slot {index} (the segment has {layout.slots})")
            self.mm = mmap.mmap(fd, SLOT_SIZE, offset=HEADER + index * SLOT_SIZE)
        finally:
            os.close(fd)
        self.index = index
        self.layout = layout
        self.words = memoryview(self.mm).cast("Q")
        self.floats = memoryview(self.mm).cast("d")
        self.keys: dict[str, int] = {}       # name -> first value word (absolute index in ``words``)
        self.kinds: dict[str, int] = {}
        self._next_word = _VALUES
        self._next_name = _NAMES
        self.attach()

    def attach(self) -> None:
        """Take the slot over: keep its values, register this process."""
        w = self.words
        if w[W_MAGIC] != _SLOT_MAGIC:
            w[W_NKEYS] = 0
            w[W_BOOTS] = 0
            w[W_DROPPED] = 0
            w[W_MAGIC] = _SLOT_MAGIC
        for name, kind, first in _entries(self.mm, w[W_NKEYS]):
            self.keys[name] = first
            self.kinds[name] = kind
            self._next_word = max(self._next_word, first + self._size(kind))
        self._next_name = _NAMES + _directory_bytes(self.mm, w[W_NKEYS])
        w[W_PID] = os.getpid()
        w[W_STARTED] = time.time_ns()
        w[W_REQUESTS] = 0
        w[W_CONNS] = 0
        w[W_GENERATION] = 0
        w[W_BOOTS] += 1

    def detach(self) -> None:
        """A clean exit: this process's gauges no longer count."""
        w = self.words
        w[W_CONNS] = 0
        w[W_PID] = 0

    def _size(self, kind: int) -> int:
        return histogram_words(len(self.layout.bounds_ns)) if kind == HISTOGRAM else 1

    def register(self, name: str, kind: int) -> int:
        """The first value word of ``name`` (created when new); -1 when the slot is full."""
        first = self.keys.get(name)
        if first is not None:
            return first if self.kinds[name] == kind else -1
        size = self._size(kind)
        raw = name.encode("utf-8", "replace")[:1024]
        entry = _ENTRY.size + len(raw)
        w = self.words
        if self._next_word + size > _VALUES + VALUE_WORDS or self._next_name + entry > SLOT_SIZE:
            w[W_DROPPED] += 1
            return -1
        first = self._next_word
        for i in range(first, first + size):
            w[i] = 0
        _ENTRY.pack_into(self.mm, self._next_name, len(raw), first, kind)
        self.mm[self._next_name + _ENTRY.size:self._next_name + entry] = raw
        self._next_name += entry
        self._next_word += size
        self.keys[name] = first
        self.kinds[name] = kind
        w[W_NKEYS] += 1  # publishes the entry
        return first

    def close(self) -> None:
        self.words.release()
        self.floats.release()
        self.mm.close()


def _entries(buf: mmap.mmap, nkeys: int, base: int = 0) -> Iterator[tuple[str, int, int]]:
    off = base + _NAMES
    end = base + SLOT_SIZE
    for _ in range(nkeys):
        if off + _ENTRY.size > end:
            return
        n, first, kind = _ENTRY.unpack_from(buf, off)
        off += _ENTRY.size
        if off + n > end or first < _VALUES or first >= _VALUES + VALUE_WORDS:
            return
        yield buf[off:off + n].decode("utf-8", "replace"), kind, first
        off += n


def _directory_bytes(buf: mmap.mmap, nkeys: int) -> int:
    off = _NAMES
    for _ in range(nkeys):
        if off + _ENTRY.size > SLOT_SIZE:
            break
        n = _ENTRY.unpack_from(buf, off)[0]
        off += _ENTRY.size + n
    return off - _NAMES


@dataclass(frozen=True, slots=True)
class SlotView:
    """What one slot holds at the moment it was read."""

    index: int
    pid: int
    started: float          # unix seconds
    generation: int
    requests: int
    connections: int
    boots: int
    dropped: int
    counters: dict[str, int]
    gauges: dict[str, float]
    histograms: dict[str, tuple[float, ...]]  # bucket counts..., sum in seconds


class Reader:
    """The support listener's side: read every slot in use."""

    def __init__(self, instance: str) -> None:
        fd, self.layout = _open(instance, read_only=True)
        try:
            self.mm = mmap.mmap(fd, HEADER + self.layout.slots * SLOT_SIZE, prot=mmap.PROT_READ)
        finally:
            os.close(fd)

    def slots(self) -> list[SlotView]:
        out = []
        hw = histogram_words(len(self.layout.bounds_ns))
        for i in range(self.layout.slots):
            base = HEADER + i * SLOT_SIZE
            head = struct.unpack_from("=9Q", self.mm, base)
            if head[W_MAGIC] != _SLOT_MAGIC:
                continue
            # Values are read after the directory: they only grow, so none is older than its entry.
            mm = self.mm
            counters: dict[str, int] = {}
            gauges: dict[str, float] = {}
            hists: dict[str, tuple[float, ...]] = {}
            hist = struct.Struct(f"={hw - 1}Qd")
            for name, kind, first in _entries(mm, head[W_NKEYS], base):
                off = base + first * 8
                if kind == COUNTER:
                    counters[name] = struct.unpack_from("=Q", mm, off)[0]
                elif kind == GAUGE:
                    gauges[name] = struct.unpack_from("=d", mm, off)[0]
                elif kind == HISTOGRAM and first + hw <= _VALUES + VALUE_WORDS:
                    hists[name] = hist.unpack_from(mm, off)
            out.append(SlotView(i, head[W_PID], head[W_STARTED] / 1e9, head[W_GENERATION], head[W_REQUESTS],
                                head[W_CONNS], head[W_BOOTS], head[W_DROPPED], counters, gauges, hists))
        return out

    def close(self) -> None:
        self.mm.close()
