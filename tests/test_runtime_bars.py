"""The runtime issue's bars that need their own set-up: compress streams a 10 MB body with the
worker's memory bounded; a tee shadow that sleeps or resets never touches the main request."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import zlib
from typing import Callable

from harness import Skipperd
from test_proxy_http import RESET, Client, Origin, Req, Resp, proxied, rss_kb

Start = Callable[..., Skipperd]


def test_compress_streams_10mb_with_bounded_worker_memory(skipperd: Start) -> None:
    # Text that compresses but not to nothing: random words.
    words = [os.urandom(4).hex().encode() for _ in range(4096)]
    piece = b" ".join(words[i % 4096] for i in range(120000))[: 1 << 20]
    size = 10 * len(piece)
    want = hashlib.sha256(piece * 10).hexdigest()

    def handler(r: Req) -> Resp:
        return Resp(body=(piece for _ in range(10)), headers=[("Content-Type", "text/plain"),
                                                             ("Content-Length", str(size))])

    with Origin(handler) as o:
        s = skipperd(routes=proxied(o.url, filters="compress()"))
        worker = s.wait_workers(1)[0]
        c = Client(s.port, timeout=60)
        assert c.get("/warm", headers="Accept-Encoding: gzip\r\n").status == 200
        base = rss_kb(worker)
        peak = [base]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss_kb(worker))
                time.sleep(0.01)

        t = threading.Thread(target=sample)
        t.start()
        d = zlib.decompressobj(31)
        h = hashlib.sha256()
        got = [0]

        def sink(data: bytes) -> None:
            got[0] += len(data)
            h.update(d.decompress(data))

        try:
            c.send(b"GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
            a = c.read(count=sink)
        finally:
            done.set()
            t.join()
        h.update(d.flush())
        assert a.status == 200 and a.header("Content-Encoding") == "gzip"
        assert a.header("Transfer-Encoding") == "chunked" and a.header("Content-Length") is None
        assert h.hexdigest() == want, "the compressed body decompresses to the original"
        assert got[0] < size, "it was compressed"
        growth_mb = (peak[0] - base) / 1024
        assert growth_mb < 20, f"worker RSS grew by {growth_mb:.1f} MB compressing a 10 MB body"
        assert c.get("/after").status == 200  # the connection is still good


def _latencies(port: int, n: int) -> list[float]:
    c = Client(port)
    out = []
    for i in range(n):
        t0 = time.monotonic()
        c.send(f"POST /m{i} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello".encode())
        a = c.read()
        out.append(time.monotonic() - t0)
        assert a.status == 200 and a.body == f"POST /m{i} hello".encode()
    c.close()
    return sorted(out)


def test_tee_shadow_that_sleeps_or_resets_leaves_the_main_route_alone(skipperd: Start) -> None:
    def main(r: Req) -> Resp:
        return Resp(body=f"{r.method} {r.target} {r.body.decode()}".encode())

    def sleepy(r: Req) -> Resp:
        time.sleep(2)
        return Resp(body=b"late")

    with Origin(main) as m, Origin(sleepy) as slow, Origin(lambda r: RESET) as reset:
        routes = proxied(m.url) + \
            f'slow: Host("^slow$") -> tee("{slow.url}") -> "{m.url}";\n' \
            f'reset: Host("^reset$") -> tee("{reset.url}") -> "{m.url}";\n'
        s = skipperd(routes=routes)
        n = 40
        plain = _latencies(s.port, n)

        def run(host: str) -> list[float]:
            c = Client(s.port)
            out = []
            for i in range(n):
                t0 = time.monotonic()
                c.send(f"POST /m{i} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5\r\n\r\nhello".encode())
                a = c.read()
                out.append(time.monotonic() - t0)
                assert a.status == 200 and a.body == f"POST /m{i} hello".encode(), a.body
            c.close()
            return sorted(out)

        teed_slow = run("slow")
        teed_reset = run("reset")
        p99 = int(n * 0.99) - 1
        # The shadow sleeps 2 s per request: had it been waited for, each request would take 2 s.
        assert teed_slow[p99] < 0.5 and teed_slow[p99] < plain[p99] + 0.25, (plain[p99], teed_slow[p99])
        assert teed_reset[p99] < 0.5, teed_reset[p99]
        deadline = time.monotonic() + 10
        while len(slow.requests) < n and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(slow.requests) >= n // 2, "the shadow got its copies"
        assert all(r.body == b"hello" for r in slow.requests)
