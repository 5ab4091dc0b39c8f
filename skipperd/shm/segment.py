"""Shared-memory segments of the route table, and the generation protocol.

How it works
============

Per instance (``instance_key``) there is one small CONTROL segment and a series of DATA segments::

    /skipperd-<instance>-ctl       4096 bytes, created once, lives as long as the instance
    /skipperd-<instance>-g<N>      one per publication N, immutable once written

A DATA segment is a 32-byte header followed by the payload (the msgpack table of ``codec``)::

    0    8  magic b"SKPDTAB1"
    8    8  generation N                u64
    16   8  payload length              u64
    24   4  payload crc32               u32
    28   4  reserved
    32   .  payload

The CONTROL segment, in native byte order (one host), every u64 on an 8-byte boundary::

    0    8  magic b"SKPDCTL1"
    8    4  layout version              u32 (LAYOUT_VERSION)
    12   4  segment size                u32 (CTL_SIZE)
    16   8  flags                       u64, bit 0: shutdown (draining)  } single words, each
    24   8  supervisor pid              u64                              } written alone
    32   8  seq                         u64, seqlock: odd while the record below changes
    40   8  generation N                u64  \
    48   8  published at                u64, unix time in ns
    56   8  payload length              u64    the record, guarded by seq
    64   4  payload crc32               u32
    68   4  name length                 u32
    72 184  DATA segment name           utf-8 /

Publishing (``Publisher.publish``; only the route supervisor ever writes):

1. create the DATA segment of generation N+1 with ``O_CREX`` (a leftover of that name from a
   supervisor that crashed before step 2 was never pointed at, and is unlinked first), reserve
   its memory with ``posix_fallocate`` (a full /dev/shm is an error here, not a SIGBUS later),
   write header and payload;
2. update the control record under the seqlock: seq += 1 (odd), write the fields, the generation
   word last, seq += 1 (even);
3. schedule the DATA segments older than N (the previous one stays) for unlinking after
   ``GRACE`` seconds. A reader that mapped one keeps a valid mapping: POSIX frees the memory at
   the last unmap, not at unlink.

Reading (``TableReader``: workers, the arbiter; the control segment is mapped ``PROT_READ``):

* ``generation()`` is one aligned u64 load through a ``memoryview`` cast to ``Q`` that is made
  once over the mapping. An aligned 8-byte load is atomic on x86-64 and arm64, so a worker may
  call it once per request and sees the old number or the new one. It is a hint that the table
  changed; ``read()`` is what is consistent.
* ``read()`` copies the record between two reads of seq (again while seq is odd or changed),
  opens the named DATA segment read-only, copies the payload, and accepts it only if the data
  header repeats the record's generation, length and crc32 and the crc32 of the copy matches.
  A name unlinked in between (``ExistentialError``) or any mismatch means: read the record
  again. Python offers no memory barriers; the data header and the checksum make a torn or
  reordered read detectable instead of trusting store order. After ``READ_TIMEOUT`` seconds of
  failures ``read()`` returns ``None`` and the caller keeps the table it has: that happens only
  when a supervisor died inside step 2, until the arbiter restarts it and ``Publisher`` repairs
  the record from the newest intact DATA segment. Until then, while seq keeps the odd value it
  was left at, ``read()`` returns ``None`` at once instead of waiting again on every request.
* A missing, short or uninitialised control segment means "nothing published yet": the reader
  tries again at most every ``REOPEN_INTERVAL`` seconds, so a worker that starts before the
  supervisor pays one clock read per request until then.

A restarted supervisor opens the existing control segment and continues from its generation
(docs/architecture.md, invariant 5). ``cleanup_stale`` (the arbiter, before any supervisor or worker
of a new instance starts) unlinks what a crashed instance left: its control segment and its DATA
segments, matched exactly by name so that another instance's segments are never touched.

Segments are created with mode 0600: filter arguments in routes can carry secrets.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import re
import struct
import time
import zlib

import posix_ipc

from skipperd.config import Settings
from skipperd.errors import SkipperdError

log = logging.getLogger("skipperd.shm")

SHM_DIR = "/dev/shm"  # where Linux keeps POSIX shared-memory objects
CTL_MAGIC = b"SKPDCTL1"
DATA_MAGIC = b"SKPDTAB1"
LAYOUT_VERSION = 1
CTL_SIZE = 4096
NAME_MAX = 184
FLAG_SHUTDOWN = 1
MODE = 0o600

GRACE = 1.0  # seconds a superseded DATA segment (older than the previous one) stays linked
READ_TIMEOUT = 0.25  # seconds read() keeps retrying before it gives up for now
REOPEN_INTERVAL = 0.1  # seconds between attempts to open a missing control segment

_HEAD = struct.Struct("=8sII")  # magic, layout version, size
_RECORD = struct.Struct("=QQQII")  # generation, published ns, length, crc32, name length
_DATA_HEAD = struct.Struct("=8sQQI4x")  # magic, generation, length, crc32
DATA_HEADER = _DATA_HEAD.size
_OFF_GEN = 40
_OFF_NAME = _OFF_GEN + _RECORD.size  # 72
# Indexes of the u64 words in a memoryview cast to "Q".
_W_FLAGS, _W_PID, _W_SEQ, _W_GEN, _W_PUBLISHED = 2, 3, 4, 5, 6

assert DATA_HEADER == 32 and _OFF_NAME == 72 and _OFF_NAME + NAME_MAX <= CTL_SIZE

_ZERO_WORDS = memoryview(bytes(CTL_SIZE)).cast("Q")  # what a reader sees before the first table

_INSTANCE_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class ShmError(SkipperdError):
    """A shared-memory segment cannot be created, sized or written."""


def instance_key(settings: Settings) -> str:
    """The name part of this instance's segments.

    ``-instance-name`` when given; otherwise a short hash of the proxy and support addresses, so
    that several instances on one host keep separate tables. A name with characters that a
    segment name cannot carry is kept readable and made unique by a hash suffix.
    """
    name = settings.instance_name
    if name and _INSTANCE_RE.fullmatch(name):
        return name
    if name:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:40]
        return f"{safe}-{_short_hash(name)}"
    return "a" + _short_hash(f"{settings.address}|{settings.support_listener}")


def _short_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=5).hexdigest()


def control_name(instance: str) -> str:
    return f"/skipperd-{instance}-ctl"


def data_name(instance: str, generation: int) -> str:
    return f"/skipperd-{instance}-g{generation}"


def _segment_re(instance: str) -> re.Pattern[str]:
    # Exact: instance "a" must not match "skipperd-a-b-ctl" of instance "a-b".
    return re.compile(rf"skipperd-{re.escape(instance)}-(?:ctl|met|hs-[a-z0-9]+|g(\d+))")


def _data_segments(instance: str) -> dict[int, str]:
    """The DATA segments of ``instance`` that exist now, by generation."""
    pattern = _segment_re(instance)
    try:
        names = os.listdir(SHM_DIR)
    except OSError:
        return {}
    found: dict[int, str] = {}
    for n in names:
        m = pattern.fullmatch(n)
        if m and m.group(1) is not None:
            found[int(m.group(1))] = "/" + n
    return found


def _unlink(name: str) -> bool:
    try:
        posix_ipc.unlink_shared_memory(name)
    except posix_ipc.ExistentialError:
        return False
    return True


def cleanup_stale(instance: str) -> int:
    """Unlink every segment of ``instance``; returns how many there were.

    For the arbiter at start-up and at exit, when no supervisor of the instance runs. A segment
    that cannot be removed is logged and left: the supervisor then reports the real problem.
    """
    pattern = _segment_re(instance)
    try:
        names = [n for n in os.listdir(SHM_DIR) if pattern.fullmatch(n)]
    except OSError:  # no /dev/shm to list: remove at least the control segment
        names = [control_name(instance)[1:]]
    removed = 0
    for n in names:
        try:
            removed += _unlink("/" + n)
        except posix_ipc.Error as e:
            log.warning("cannot remove shared-memory segment /%s: %s", n, e)
    return removed


def _read_data(name: str, generation: int, length: int, crc: int) -> bytes | None:
    """The payload of DATA segment ``name`` if it is exactly the publication described, else None."""
    try:
        shm = posix_ipc.SharedMemory(name, read_only=True)
    except (posix_ipc.ExistentialError, posix_ipc.PermissionsError):
        return None
    try:
        size = DATA_HEADER + length
        if shm.size < size:
            return None
        mm = mmap.mmap(shm.fd, size, prot=mmap.PROT_READ)
    finally:
        shm.close_fd()
    with mm:
        if _DATA_HEAD.unpack_from(mm, 0) != (DATA_MAGIC, generation, length, crc):
            return None
        payload = mm[DATA_HEADER:size]
    if zlib.crc32(payload) != crc:
        return None
    return payload


def _read_intact(name: str) -> tuple[int, bytes] | None:
    """(generation, payload) of an intact DATA segment found by name alone, else None."""
    try:
        shm = posix_ipc.SharedMemory(name, read_only=True)
    except (posix_ipc.ExistentialError, posix_ipc.PermissionsError):
        return None
    try:
        if shm.size < DATA_HEADER:
            return None
        with mmap.mmap(shm.fd, DATA_HEADER, prot=mmap.PROT_READ) as mm:
            magic, gen, length, crc = _DATA_HEAD.unpack_from(mm, 0)
    finally:
        shm.close_fd()
    payload = _read_data(name, gen, length, crc) if magic == DATA_MAGIC else None
    return None if payload is None else (gen, payload)


def _control_ok(mm: mmap.mmap) -> bool:
    return bool(_HEAD.unpack_from(mm, 0) == (CTL_MAGIC, LAYOUT_VERSION, CTL_SIZE))


class TableReader:
    """The read-only view of an instance's route table (workers, arbiter).

    ``generation()`` and ``shutdown()`` are cheap enough to call on every request; ``read()``
    returns a consistent ``(generation, payload)`` or ``None`` when nothing is published yet.
    """

    __slots__ = ("instance", "_name", "_mm", "_words", "_next_attempt", "_stuck_seq")

    def __init__(self, instance: str) -> None:
        self.instance = instance
        self._name = control_name(instance)
        self._mm: mmap.mmap | None = None
        self._words: memoryview | None = None
        self._next_attempt = 0.0
        self._stuck_seq = -1  # an odd seq that stayed put for READ_TIMEOUT: its writer died
        self._attach()

    def _attach(self) -> bool:
        if self._words is not None:
            return True
        now = time.monotonic()
        if now < self._next_attempt:
            return False
        self._next_attempt = now + REOPEN_INTERVAL
        try:
            shm = posix_ipc.SharedMemory(self._name, read_only=True)
        except (posix_ipc.ExistentialError, posix_ipc.PermissionsError):
            return False
        try:
            if shm.size < CTL_SIZE:
                return False
            mm = mmap.mmap(shm.fd, CTL_SIZE, prot=mmap.PROT_READ)
        finally:
            shm.close_fd()
        self._mm = mm
        self._words = memoryview(mm).cast("Q")
        return True

    def generation(self) -> int:
        """The generation last published, 0 before the first publication.

        Called once per request: keep it to one attribute load, one test and one index.
        """
        w = self._words
        if w is None:
            return self._words_slow()[_W_GEN]
        return w[_W_GEN]

    def shutdown(self) -> bool:
        """True once the supervisor raised the shutdown flag (the instance drains)."""
        w = self._words
        if w is None:
            w = self._words_slow()
        return bool(w[_W_FLAGS] & FLAG_SHUTDOWN)

    def _words_slow(self) -> memoryview:
        if self._attach():
            assert self._words is not None
            return self._words
        return _ZERO_WORDS

    def read(self) -> tuple[int, bytes] | None:
        """A consistent ``(generation, payload)``; ``None`` if nothing is published (yet)."""
        if not self._attach():
            return None
        mm, w = self._mm, self._words
        assert mm is not None and w is not None
        if not _control_ok(mm) or w[_W_SEQ] == self._stuck_seq:
            return None  # not initialised yet; or still the dead writer's seq: no need to wait again
        deadline = 0.0
        attempt = 0
        while True:
            seq = w[_W_SEQ]
            if not seq & 1:
                gen, _, length, crc, name_len = _RECORD.unpack_from(mm, _OFF_GEN)
                raw_name = mm[_OFF_NAME:_OFF_NAME + min(name_len, NAME_MAX)]
                if w[_W_SEQ] == seq:
                    if name_len == 0:
                        return None
                    name = data_name(self.instance, gen)
                    if raw_name == name.encode():
                        payload = _read_data(name, gen, length, crc)
                        if payload is not None:
                            return gen, payload
            attempt += 1
            if attempt == 1:
                deadline = time.monotonic() + READ_TIMEOUT
            elif time.monotonic() > deadline:
                if seq & 1 and w[_W_SEQ] == seq:
                    self._stuck_seq = seq
                log.warning("route table of instance %s: no consistent publication within %.2fs; "
                            "keeping the current table", self.instance, READ_TIMEOUT)
                return None
            if attempt > 20:
                time.sleep(0.0005)  # a greenlet switch under gevent

    def close(self) -> None:
        if self._words is not None:
            self._words.release()
            self._words = None
        if self._mm is not None:
            self._mm.close()
            self._mm = None


class Publisher:
    """The route supervisor's side: creates the control segment, publishes DATA segments."""

    def __init__(self, instance: str, grace: float = GRACE) -> None:
        self.instance = instance
        self.grace = grace
        # generation -> monotonic time after which it may be unlinked
        self._retired: dict[int, float] = {}
        name = control_name(instance)
        if len(data_name(instance, 2**64 - 1).encode()) > NAME_MAX:
            raise ShmError(f"instance name too long for a segment name: {instance!r}")
        try:
            shm = posix_ipc.SharedMemory(name, posix_ipc.O_CREAT, mode=MODE)
            try:
                if shm.size < CTL_SIZE:
                    os.ftruncate(shm.fd, CTL_SIZE)
                self._mm = mmap.mmap(shm.fd, CTL_SIZE)
            finally:
                shm.close_fd()
        except (posix_ipc.Error, OSError, ValueError) as e:
            raise ShmError(f"cannot open the control segment {name}: {e}") from e
        self._w = memoryview(self._mm).cast("Q")
        if not _control_ok(self._mm):
            self._initialise()
        elif self._w[_W_SEQ] & 1 or not self._record_intact():
            self._repair()
        self._w[_W_PID] = os.getpid()
        self._retire_leftovers()

    # --- state -----------------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        return int(self._w[_W_GEN])

    def current(self) -> tuple[int, bytes] | None:
        """The table published now, for a restarted supervisor that carries on with it."""
        gen, _, length, crc, name_len = _RECORD.unpack_from(self._mm, _OFF_GEN)
        if name_len == 0:
            return None
        payload = _read_data(data_name(self.instance, gen), gen, length, crc)
        return None if payload is None else (gen, payload)

    def published_at(self) -> float:
        """Unix time of the current publication, 0.0 if none."""
        return float(self._w[_W_PUBLISHED]) / 1e9

    # --- writing ---------------------------------------------------------------------------------

    def publish(self, payload: bytes) -> int:
        """Publish ``payload`` whole as the next generation and return its number."""
        previous = self.generation
        gen = previous + 1
        name = data_name(self.instance, gen)
        crc = zlib.crc32(payload)
        self._write_data(name, gen, payload, crc)
        self._write_record(gen, len(payload), crc, name)
        if previous > 1:
            self._retired.setdefault(previous - 1, time.monotonic() + self.grace)
        self.collect()
        return gen

    def set_shutdown(self, on: bool) -> None:
        flags = int(self._w[_W_FLAGS])
        self._w[_W_FLAGS] = flags | FLAG_SHUTDOWN if on else flags & ~FLAG_SHUTDOWN

    def collect(self, force: bool = False) -> None:
        """Unlink retired DATA segments whose grace period is over (all of them with ``force``)."""
        if not self._retired:
            return
        now = time.monotonic()
        for gen, due in list(self._retired.items()):
            if force or now >= due:
                del self._retired[gen]
                try:
                    _unlink(data_name(self.instance, gen))
                except posix_ipc.Error as e:
                    log.warning("cannot remove %s: %s", data_name(self.instance, gen), e)

    def close(self) -> None:
        """Release the mapping. The control segment and the current table stay for the next one."""
        self.collect(force=True)
        self._w.release()
        self._mm.close()

    # --- internals -------------------------------------------------------------------------------

    def _write_data(self, name: str, gen: int, payload: bytes, crc: int) -> None:
        _unlink(name)  # a leftover nobody points at: see step 1 in the module docstring
        size = DATA_HEADER + len(payload)
        try:
            shm = posix_ipc.SharedMemory(name, posix_ipc.O_CREX, mode=MODE)
            try:
                os.posix_fallocate(shm.fd, 0, size)
                with mmap.mmap(shm.fd, size) as mm:
                    _DATA_HEAD.pack_into(mm, 0, DATA_MAGIC, gen, len(payload), crc)
                    mm[DATA_HEADER:size] = payload
            finally:
                shm.close_fd()
        except (posix_ipc.Error, OSError) as e:
            _unlink(name)
            raise ShmError(f"cannot write the route table segment {name} ({size} bytes): {e}") from e

    def _write_record(self, gen: int, length: int, crc: int, name: str) -> None:
        raw = name.encode()
        if len(raw) > NAME_MAX:
            raise ShmError(f"segment name too long: {name}")
        w, mm = self._w, self._mm
        seq = int(w[_W_SEQ]) | 1  # odd; also closes a seqlock that a dead writer left odd
        w[_W_SEQ] = seq
        struct.pack_into("=QQII", mm, _OFF_GEN + 8, time.time_ns(), length, crc, len(raw))
        mm[_OFF_NAME:_OFF_NAME + NAME_MAX] = raw.ljust(NAME_MAX, b"\0")
        w[_W_GEN] = gen
        w[_W_SEQ] = seq + 1

    def _initialise(self) -> None:
        mm = self._mm
        mm[:] = bytes(CTL_SIZE)
        struct.pack_into("=II", mm, 8, LAYOUT_VERSION, CTL_SIZE)
        mm[0:8] = CTL_MAGIC  # last: a reader treats the segment as empty until the magic is there

    def _record_intact(self) -> bool:
        gen, _, length, crc, name_len = _RECORD.unpack_from(self._mm, _OFF_GEN)
        if name_len == 0:
            return True
        return _read_data(data_name(self.instance, gen), gen, length, crc) is not None

    def _repair(self) -> None:
        """Point the record at the newest intact DATA segment (a writer died inside an update)."""
        last = self.generation
        for gen in sorted(_data_segments(self.instance), reverse=True):
            found = _read_intact(data_name(self.instance, gen))
            if found is None or found[0] != gen:
                continue
            payload = found[1]
            if gen >= last:
                # Written whole before the writer died in step 2: point at it as it is.
                self._write_record(gen, len(payload), zlib.crc32(payload), data_name(self.instance, gen))
            else:
                # Publish it again under a new number: workers may hold ``last`` already, and a
                # generation number is never reused for other contents.
                self.publish(payload)
            log.warning("route table record of instance %s was left half-written; "
                        "restored generation %d as %d", self.instance, gen, self.generation)
            return
        log.warning("route table of instance %s was lost; waiting for the next publication", self.instance)
        w = self._w
        seq = int(w[_W_SEQ]) | 1
        w[_W_SEQ] = seq
        struct.pack_into("=QQII", self._mm, _OFF_GEN + 8, 0, 0, 0, 0)
        w[_W_SEQ] = seq + 1

    def _retire_leftovers(self) -> None:
        """Schedule the DATA segments other than the current and the previous one for unlinking."""
        gen = self.generation
        keep = {gen}
        older = [g for g in _data_segments(self.instance) if g < gen]
        if older:
            keep.add(max(older))
        due = time.monotonic() + self.grace
        for g in _data_segments(self.instance):
            if g not in keep:
                self._retired[g] = due
