"""Soak: mixed traffic against a running skipperd while its routes file changes every second.

Traffic, each kind in its own thread, all the time: keep-alive requests, pipelined batches,
streamed (chunked) responses and uploads, 404s, clients that reset their connection in the middle
of a response (on purpose: not failures), slow readers of a 1 MB response, and requests to a
route whose backend moves between two origins with every routes file change (so that pools are
closed as endpoints leave the table while requests are in flight).

Checked: no request failed that the mix did not fail on purpose; the workers are the same
processes at the end; each worker's RSS and open descriptors are flat (the median of the last
samples within 10% of the median of the first ones, after a warm-up; descriptors also within a
small absolute margin, since the connections open at a moment vary).

``test_soak_smoke`` runs for 15 s in the suite. The full soak is outside the default run:
``SKIPPERD_SOAK_SECONDS=600 ./scripts/test tests/test_soak.py -k full -s`` (figures printed;
``SKIPPERD_SOAK_REPORT=path`` writes them as JSON too).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import pytest

from harness import Skipperd
from test_proxy_http import READY, Client, Origin, Req, Resp, rss_kb

Start = Callable[..., Skipperd]
BIG = b"b" * (1 << 20)
STREAM_PIECES = 20


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _origin_handler(r: Req) -> Resp:
    if r.target.startswith("/big"):
        return Resp(body=BIG)
    if r.target.startswith("/stream"):
        def pieces() -> Iterator[bytes]:
            for i in range(STREAM_PIECES):
                time.sleep(0.005)
                yield b"piece %02d\n" % i
        return Resp(body=pieces(), framing="chunked")
    if r.target.startswith("/upload"):
        return Resp(body=b"%d" % r.body_len)
    return Resp(body=f"{r.method} {r.target}".encode())


@dataclass
class Tally:
    requests: int = 0
    failures: int = 0
    resets: int = 0          # intended: the client reset its own connection
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, n: int = 1) -> None:
        with self.lock:
            self.requests += n

    def fail(self, what: str) -> None:
        with self.lock:
            self.requests += 1
            self.failures += 1
            if len(self.errors) < 20:
                self.errors.append(what)


def _routes(a: str, b: str, n: int) -> str:
    return READY + f'''
        ka: PathSubtree("/ka") -> "{a}";
        pipe: PathSubtree("/pipe") -> "{a}";
        stream: PathSubtree("/stream") -> "{a}";
        upload: PathSubtree("/upload") -> "{a}";
        big: PathSubtree("/big") -> "{a}";
        alt: PathSubtree("/alt") -> setRequestHeader("X-Gen", "{n}") -> "{a if n % 2 else b}";
        gen: Path("/gen") -> inlineContent("g{n}") -> <shunt>;
        gen{n}: Path("/only/{n}") -> status(204) -> <shunt>;
        missing: Path("/missing-route-never-matches") -> status(500) -> <shunt>;
    '''


def soak(s: Skipperd, a: Origin, b: Origin, seconds: float, warmup: float) -> dict[str, object]:
    stop = threading.Event()
    tally = Tally()
    workers = s.wait_workers(s.opts.workers)
    port = s.port

    def loop(body: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            while not stop.is_set():
                try:
                    body()
                except Exception as e:  # a failure of this kind's request: counted, the loop goes on
                    tally.fail(f"{body.__name__}: {type(e).__name__}: {e}")
                    time.sleep(0.05)
        return run

    conns: dict[str, Client] = {}

    def client(kind: str) -> Client:
        c = conns.get(kind)
        if c is None:
            c = conns[kind] = Client(port, timeout=20)
        return c

    def drop(kind: str) -> None:
        c = conns.pop(kind, None)
        if c is not None:
            c.close()

    def keep_alive() -> None:
        c = client("ka")
        for i in range(50):
            a_ = c.get(f"/ka/{i}")
            if a_.status != 200 or a_.body != f"GET /ka/{i}".encode():
                drop("ka")
                raise AssertionError(f"keep-alive: {a_.status} {a_.body[:60]!r}")
            tally.ok()

    def pipelined() -> None:
        c = client("pipe")
        c.send(b"".join(b"GET /pipe/%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(10)))
        for i in range(10):
            a_ = c.read()
            if a_.status != 200 or a_.body != b"GET /pipe/%d" % i:
                drop("pipe")
                raise AssertionError(f"pipelined: {a_.status}")
        tally.ok(10)

    def not_found() -> None:
        c = client("404")
        for i in range(50):
            a_ = c.get(f"/nothing/{i}")
            if a_.status != 404:
                drop("404")
                raise AssertionError(f"404 route: {a_.status}")
            tally.ok()

    def streaming() -> None:
        c = client("stream")
        a_ = c.get("/stream")
        if a_.status != 200 or a_.body.count(b"piece") != STREAM_PIECES:
            drop("stream")
            raise AssertionError(f"stream: {a_.status} {len(a_.body)}")
        tally.ok()
        body = b"u" * 100_000
        c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"".join(b"%x\r\n%b\r\n" % (10_000, body[i:i + 10_000]) for i in range(0, len(body), 10_000))
               + b"0\r\n\r\n")
        a_ = c.read()
        if a_.status != 200 or a_.body != b"100000":
            drop("stream")
            raise AssertionError(f"upload: {a_.status} {a_.body[:40]!r}")
        tally.ok()

    def resets() -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.recv(4096)
        finally:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()
        with tally.lock:
            tally.resets += 1
        time.sleep(0.05)

    def slow_reader() -> None:
        c = client("slow")
        c.sock.settimeout(20)
        c.send(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        got = 0

        def count(data: bytes) -> None:
            nonlocal got
            got += len(data)
            time.sleep(0.02)

        a_ = c.read(count=count)
        if a_.status != 200 or got != len(BIG):
            drop("slow")
            raise AssertionError(f"slow reader: {a_.status} {got}")
        tally.ok()

    def moving_backend() -> None:
        c = client("alt")
        for _ in range(20):
            a_ = c.get("/alt/x")
            if a_.status != 200 or a_.body != b"GET /alt/x":
                drop("alt")
                raise AssertionError(f"alt: {a_.status}")
            g = c.get("/gen")
            if g.status != 200 or not g.body.startswith(b"g"):
                drop("alt")
                raise AssertionError(f"gen: {g.status}")
            tally.ok(2)
            time.sleep(0.01)

    def routes_writer() -> None:
        n = 0
        while not stop.wait(1.0):
            n += 1
            s.write_routes(_routes(a.url, b.url, n))

    kinds = [keep_alive, pipelined, not_found, streaming, resets, slow_reader, moving_backend]
    threads = [threading.Thread(target=loop(k), daemon=True, name=k.__name__) for k in kinds]
    threads.append(threading.Thread(target=routes_writer, daemon=True))
    samples: list[tuple[float, dict[int, tuple[int, int]]]] = []
    t0 = time.monotonic()
    for t in threads:
        t.start()
    try:
        while time.monotonic() - t0 < seconds:
            time.sleep(1.0)
            now = {}
            for pid in workers:
                try:
                    now[pid] = (rss_kb(pid), _fds(pid))
                except (OSError, RuntimeError):
                    now[pid] = (0, 0)
            samples.append((time.monotonic() - t0, now))
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        for c in conns.values():
            c.close()

    after = [(t, v) for t, v in samples if t >= warmup]
    window = max(3, len(after) // 10)
    first, last = after[:window], after[-window:]
    report: dict[str, object] = {
        "seconds": round(time.monotonic() - t0, 1), "requests": tally.requests, "failures": tally.failures,
        "intended_resets": tally.resets, "errors": tally.errors, "workers": {},
        "workers_same": s.worker_pids() == workers, "generation": s.generation(),
    }
    for pid in workers:
        rss0 = statistics.median(v[pid][0] for _, v in first)
        rss1 = statistics.median(v[pid][0] for _, v in last)
        fd0 = statistics.median(v[pid][1] for _, v in first)
        fd1 = statistics.median(v[pid][1] for _, v in last)
        report["workers"][pid] = {"rss_kb_start": rss0, "rss_kb_end": rss1,  # type: ignore[index]
                                  "fds_start": fd0, "fds_end": fd1,
                                  "rss_kb_max": max(v[pid][0] for _, v in after),
                                  "fds_max": max(v[pid][1] for _, v in after)}
    return report


def check(report: dict[str, object], rss_slack_kb: int = 0) -> None:
    print(json.dumps(report, indent=1))
    path = os.environ.get("SKIPPERD_SOAK_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(report, f, indent=1)
    assert report["failures"] == 0, report["errors"]
    assert report["workers_same"], "a worker was restarted"
    assert int(report["requests"]) > 0  # type: ignore[call-overload]
    for pid, w in report["workers"].items():  # type: ignore[attr-defined]
        assert w["rss_kb_end"] <= w["rss_kb_start"] * 1.10 + rss_slack_kb, f"worker {pid} RSS grew: {w}"
        assert w["fds_end"] <= max(w["fds_start"] * 1.10, w["fds_start"] + 8), f"worker {pid} descriptors grew: {w}"


def _run(skipperd: Start, seconds: float, warmup: float, rss_slack_kb: int = 0) -> None:
    with Origin(_origin_handler) as a, Origin(_origin_handler) as b:
        s = skipperd(routes=_routes(a.url, b.url, 0), workers=2,
                     args=["-write-timeout-server=60s", "-close-idle-conns-period=5s"])
        check(soak(s, a, b, seconds, warmup), rss_slack_kb)
        assert "Traceback" not in s.log()


@pytest.mark.slow
def test_soak_smoke(skipperd: Start) -> None:
    # 15 s cannot tell a slow leak from the allocator settling: a few MB of slack here; the full
    # run holds the 10% bar.
    _run(skipperd, 15.0, 5.0, rss_slack_kb=4096)


@pytest.mark.skipif(not os.environ.get("SKIPPERD_SOAK_SECONDS"),
                    reason="the full soak runs only with SKIPPERD_SOAK_SECONDS set (600 for the 10-minute run)")
def test_soak_full(skipperd: Start) -> None:
    seconds = float(os.environ["SKIPPERD_SOAK_SECONDS"])
    _run(skipperd, seconds, min(60.0, seconds / 10))
