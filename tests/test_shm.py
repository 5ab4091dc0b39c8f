"""The shared route table: publication, read-only readers, consistency across real processes."""

from __future__ import annotations

import hashlib
import mmap
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import posix_ipc
import pytest

from skipperd.config import Settings
from skipperd.shm import segment
from skipperd.shm.segment import Publisher, TableReader, cleanup_stale, control_name, instance_key

SHM = Path("/dev/shm")


@pytest.fixture
def instance() -> Iterator[str]:
    name = "t" + uuid.uuid4().hex[:10]
    yield name
    for p in SHM.glob(f"skipperd-{name}-*"):
        p.unlink()


def segments(instance: str) -> set[str]:
    return {p.name for p in SHM.glob(f"skipperd-{instance}-*")}


def wait_attached() -> None:
    """A reader that found no control segment tries again after REOPEN_INTERVAL."""
    time.sleep(segment.REOPEN_INTERVAL + 0.01)


def test_reader_before_any_publication(instance: str) -> None:
    reader = TableReader(instance)  # no control segment: no supervisor has started
    assert (reader.generation(), reader.read(), reader.shutdown()) == (0, None, False)
    pub = Publisher(instance)
    wait_attached()
    assert (reader.generation(), reader.read()) == (0, None), "created, nothing published yet"
    pub.publish(b"first")
    assert (reader.generation(), reader.read()) == (1, (1, b"first"))
    reader.close()
    pub.close()


def test_publish_read_and_generation_continues_after_restart(instance: str) -> None:
    pub = Publisher(instance)
    reader = TableReader(instance)
    assert [pub.publish(b"a"), pub.publish(b""), pub.publish(b"c" * 100_000)] == [1, 2, 3]
    assert reader.read() == (3, b"c" * 100_000)
    assert pub.published_at() == pytest.approx(time.time(), abs=5)
    pub.close()  # a supervisor that exits (or is killed: nothing in close() is needed for this)
    again = Publisher(instance)
    assert again.generation == 3 and again.current() == (3, b"c" * 100_000)
    assert again.publish(b"d") == 4
    assert reader.generation() == 4 and reader.read() == (4, b"d")
    again.close()


def test_empty_payload_and_shutdown_flag(instance: str) -> None:
    pub = Publisher(instance)
    reader = TableReader(instance)
    pub.publish(b"")
    assert reader.read() == (1, b"")
    assert not reader.shutdown()
    pub.set_shutdown(True)
    assert reader.shutdown()
    pub.set_shutdown(False)
    assert not reader.shutdown()
    pub.close()


def test_reader_maps_read_only(instance: str) -> None:
    pub = Publisher(instance)
    pub.publish(b"x")
    reader = TableReader(instance)
    assert reader.generation() == 1
    ctl = f"/dev/shm/skipperd-{instance}-ctl"
    maps = [line for line in Path("/proc/self/maps").read_text().splitlines() if line.endswith(ctl)]
    perms = sorted(line.split()[1] for line in maps)
    assert perms == ["r--s", "rw-s"], maps  # the reader's mapping, and the publisher's in this process
    # The object behind the reader's mapping refuses writes at the Python level too.
    assert reader._mm is not None
    with pytest.raises(TypeError):
        reader._mm[0] = 0
    with pytest.raises(TypeError):
        memoryview(reader._mm)[0] = 0
    # And the kernel would not give a writable mapping of a descriptor opened read-only.
    shm = posix_ipc.SharedMemory(control_name(instance), read_only=True)
    try:
        with pytest.raises(PermissionError):
            mmap.mmap(shm.fd, 4096)
    finally:
        shm.close_fd()
    reader.close()
    pub.close()


WRITER = """
import hashlib, os, random, sys, time
from skipperd.shm.segment import Publisher
pub = Publisher(sys.argv[1], grace=0.0)   # unlink superseded segments at once: readers must cope
rnd = random.Random(7)
start = time.monotonic()
n = 0
# Enough publications for the readers to meet many, however loaded the machine (bounded by work,
# not by a fixed time); then the end marker, which stops the readers.
while n < int(sys.argv[2]) or time.monotonic() - start < 2.0:
    body = rnd.randbytes(rnd.choice([1, 100, 5000, 70000]))
    pub.publish(hashlib.blake2b(body, digest_size=16).digest() + body)
    n += 1
    if time.monotonic() - start > 60:
        break
pub.publish(b"END")
print(n)
"""

READER = """
import hashlib, sys, time
from skipperd.shm.segment import TableReader
r = TableReader(sys.argv[1])
deadline = time.monotonic() + 90
reads = changes = none = 0
last = 0
while time.monotonic() < deadline:
    got = r.read()
    if got is None:
        none += 1
        continue
    gen, payload = got
    if payload == b"END":
        break
    assert hashlib.blake2b(payload[16:], digest_size=16).digest() == payload[:16], f"torn read at {gen}"
    assert gen >= last, f"generation went back from {last} to {gen}"
    changes += gen != last
    last = gen
    reads += 1
print(reads, changes, none)
"""


def test_no_torn_reads_across_processes(instance: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    Publisher(instance).publish(hashlib.blake2b(b"seed", digest_size=16).digest() + b"seed")
    run = [sys.executable, "-c"]
    readers = [subprocess.Popen(run + [READER, instance], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, text=True) for _ in range(2)]
    writer = subprocess.Popen(run + [WRITER, instance, "1500"], stdout=subprocess.PIPE, env=env, text=True)
    published = int(writer.communicate(timeout=90)[0])
    for r in readers:
        out, err = r.communicate(timeout=90)
        assert r.returncode == 0, err
        reads, changes, none = map(int, out.split())
        assert none == 0, "a publication was always there to read"
        assert reads > 1000 and changes > 100, (reads, changes)
    assert published >= 1500
    # Superseded segments were unlinked (grace 0): the current one and the previous one remain.
    assert len(segments(instance)) <= 3


def test_cleanup_stale_removes_exactly_one_instances_segments(instance: str) -> None:
    pub = Publisher(instance)
    pub.publish(b"1")
    pub.publish(b"2")
    (SHM / f"skipperd-{instance}-g9").write_bytes(b"garbage")
    other = instance + "-g1"  # an instance whose name extends ours must be left alone
    neighbour = Publisher(other)
    neighbour.publish(b"theirs")
    try:
        assert cleanup_stale(instance) == 4  # ctl, g1, g2, g9
        assert segments(instance) == {f"skipperd-{other}-ctl", f"skipperd-{other}-g1"}
        assert TableReader(other).read() == (1, b"theirs")
        assert cleanup_stale(instance) == 0
    finally:
        cleanup_stale(other)
    pub.close()
    neighbour.close()


def test_garbage_control_segment_is_reinitialised(instance: str) -> None:
    (SHM / f"skipperd-{instance}-ctl").write_bytes(b"garbage left behind" * 10)
    reader = TableReader(instance)
    assert (reader.generation(), reader.read()) == (0, None)  # too short to be ours: not attached
    pub = Publisher(instance)
    assert pub.generation == 0
    assert pub.publish(b"fresh") == 1
    wait_attached()
    assert reader.read() == (1, b"fresh")
    pub.close()


def test_two_instances_are_separate(instance: str) -> None:
    other = instance + "b"
    a, b = Publisher(instance), Publisher(other)
    try:
        a.publish(b"a1")
        a.publish(b"a2")
        b.publish(b"b1")
        assert TableReader(instance).read() == (2, b"a2")
        assert TableReader(other).read() == (1, b"b1")
    finally:
        a.close()
        b.close()
        cleanup_stale(other)


def test_instance_key() -> None:
    assert instance_key(Settings(instance_name="edge-1")) == "edge-1"
    derived = instance_key(Settings(address=":9090", support_listener=":9911"))
    assert derived == instance_key(Settings(address=":9090", support_listener=":9911"))
    assert derived != instance_key(Settings(address=":9091", support_listener=":9912"))
    odd = instance_key(Settings(instance_name="a/b c"))
    assert odd.startswith("a_b_c-") and "/" not in odd
    assert odd != instance_key(Settings(instance_name="a_b_c"))


def test_instance_name_too_long_for_segment_names() -> None:
    with pytest.raises(segment.ShmError, match="too long"):
        Publisher("x" * 170)
    assert not list(SHM.glob("skipperd-xxxxxxxx*"))


def _control_words(instance: str) -> tuple[posix_ipc.SharedMemory, mmap.mmap]:
    shm = posix_ipc.SharedMemory(control_name(instance))
    return shm, mmap.mmap(shm.fd, 4096)


def test_writer_killed_inside_an_update_is_repaired(instance: str) -> None:
    pub = Publisher(instance)
    pub.publish(b"good")
    shm, mm = _control_words(instance)
    words = memoryview(mm).cast("Q")
    try:
        words[4] |= 1  # seq left odd, as by a supervisor killed between its two increments
        reader = TableReader(instance)
        t0 = time.monotonic()
        assert reader.read() is None, "no consistent record: the caller keeps its table"
        assert time.monotonic() - t0 < segment.READ_TIMEOUT + 0.2
        t0 = time.monotonic()
        assert reader.read() is None
        assert time.monotonic() - t0 < 0.01, "the same dead writer is not waited for twice"
        restarted = Publisher(instance)
        assert reader.read() == (1, b"good")
        assert restarted.publish(b"next") == 2
        # The current data segment vanished (not by us): the newest intact one is republished
        # under a new number, never under a number a worker may already hold.
        (SHM / f"skipperd-{instance}-g2").unlink()
        third = Publisher(instance)
        assert reader.read() == (3, b"good")
        third.close()
        restarted.close()
    finally:
        words.release()
        mm.close()
        shm.close_fd()
    pub.close()


def test_generation_cost(instance: str) -> None:
    """Not a benchmark, a guard: the per-request check stays a sub-microsecond affair."""
    pub = Publisher(instance)
    pub.publish(b"x")
    reader = TableReader(instance)
    gen = reader.generation
    n = 200_000
    t0 = time.perf_counter()
    for _ in range(n):
        gen()
    per_call = (time.perf_counter() - t0) / n
    assert per_call < 2e-6, f"{per_call * 1e9:.0f} ns per call"
    pub.close()
