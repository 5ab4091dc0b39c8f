"""fadeIn and endpointCreated: a new endpoint's share grows with its age; detection survives swaps."""

from __future__ import annotations

import time
from collections import Counter
from typing import Callable

from harness import Skipperd
from skipperd.filters.fadein import EndpointRegistry, FadeIn
from skipperd.routing.route import parse_endpoint
from test_proxy_http import Client, Origin, Req, Resp

Start = Callable[..., Skipperd]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fade_in_share_follows_the_curve() -> None:
    clock = Clock()
    reg = EndpointRegistry(clock)
    eps = [parse_endpoint("http://10.0.0.1:80"), parse_endpoint("http://10.0.0.2:80")]
    reg.observe(["http://10.0.0.1:80"])          # the first table: old
    clock.now = 2000.0
    reg.observe(["http://10.0.0.1:80", "http://10.0.0.2:80"])  # the new one appears
    seq = iter([i / 100 for i in range(100)] * 10)
    f = FadeIn(10.0, 1.0, reg, lambda: next(seq))
    clock.now = 2002.5  # a quarter of the way
    kept = sum(f.adjust(eps, 1) == 1 for _ in range(100))
    assert kept == 25
    assert all(f.adjust(eps, 0) == 0 for _ in range(10))  # old endpoints are not touched
    clock.now = 2010.0
    assert all(f.adjust(eps, 1) == 1 for _ in range(10))
    f2 = FadeIn(10.0, 2.0, reg, lambda: next(seq))
    clock.now = 2005.0
    assert sum(f2.adjust(eps, 1) == 1 for _ in range(100)) == 25  # (1/2)^2
    # endpointCreated later than the detection restarts the fade-in
    reg.mark_created("http://10.0.0.2:80", 2009.0)
    clock.now = 2010.0
    assert f.rate("http://10.0.0.2:80", clock.now) == 0.1000000000000000055511151231257827 or \
        abs(f.rate("http://10.0.0.2:80", clock.now) - 0.1) < 1e-9


def test_new_endpoint_fades_in_through_a_real_proxy(skipperd: Start) -> None:
    def who(name: str) -> Callable[[Req], Resp]:
        return lambda r: Resp(body=name.encode())

    with Origin(who("a")) as a, Origin(who("b")) as b:
        ready = 'harness_ready: Path("/__harness_ready") -> status(204) -> <shunt>;\n'
        s = skipperd(routes=ready + f'lb: * -> fadeIn("8s") -> <roundRobin, "{a.url}">;\n',
                     args=["-source-poll-timeout=100"])
        c = Client(s.port)
        assert c.get("/").body == b"a"
        s.write_routes(ready + f'lb: * -> fadeIn("8s") -> <roundRobin, "{a.url}", "{b.url}">;\n')
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if c.get("/").body == b"b":
                break
            time.sleep(0.02)
        early = Counter(c.get("/").body for _ in range(200))
        time.sleep(8.2)
        late = Counter(c.get("/").body for _ in range(200))
        assert early[b"b"] < 90, early       # round robin alone would give b half
        assert 70 <= late[b"b"] <= 130, late  # faded in: an equal share


def test_detection_times_are_per_host_and_survive_a_worker() -> None:
    """Two registries over one shared table (two workers of a host): the first to see an endpoint
    sets its time; a registry created later (a replacement worker) takes the shared times."""
    from contextlib import nullcontext

    from skipperd.filters.fadein import DetectionTable

    class Segment:
        def __init__(self) -> None:
            self.buf = bytearray(DetectionTable.SIZE)

        def locked(self) -> "nullcontext[None]":
            return nullcontext()

    seg, clock = Segment(), Clock()
    w1, w2 = EndpointRegistry(clock, seg), EndpointRegistry(clock, seg)
    w1.observe(["http://a:80"])                    # the host's first table: old
    w2.observe(["http://a:80"])
    clock.now = 2000.0
    w1.observe(["http://b:80"])                    # w1 sees b first
    clock.now = 2003.0
    w2.observe(["http://b:80"])
    assert w1.detected == w2.detected == {"http://a:80": 0.0, "http://b:80": 2000.0}
    clock.now = 2005.0
    w3 = EndpointRegistry(clock, seg)              # a replacement: its first table is not the host's
    w3.observe(["http://a:80", "http://b:80", "http://c:80"])
    assert w3.detected == {"http://a:80": 0.0, "http://b:80": 2000.0, "http://c:80": 2005.0}


def test_a_replaced_worker_continues_the_fade_in(skipperd: Start) -> None:
    """SIGKILL the only worker in the middle of a fade-in: its replacement gives the new endpoint
    the share its age gives it, neither a restarted fade nor a full share at once."""
    import os
    import signal

    def who(name: str) -> Callable[[Req], Resp]:
        return lambda r: Resp(body=name.encode())

    fade = 20.0
    with Origin(who("a")) as a, Origin(who("b")) as b:
        ready = 'harness_ready: Path("/__harness_ready") -> status(204) -> <shunt>;\n'
        s = skipperd(routes=ready + f'lb: * -> fadeIn("{fade:.0f}s") -> <roundRobin, "{a.url}">;\n',
                     args=["-source-poll-timeout=100"])
        assert Client(s.port).get("/").body == b"a"
        s.write_routes(ready + f'lb: * -> fadeIn("{fade:.0f}s") -> <roundRobin, "{a.url}", "{b.url}">;\n')
        c = Client(s.port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and c.get("/").body != b"b":
            time.sleep(0.01)
        detected = time.monotonic()  # b was detected a little before: its age is at least this
        time.sleep(6)
        [old] = s.wait_workers(1)
        os.kill(old, signal.SIGKILL)
        s.wait_workers(1, exclude={old})
        s.wait_for(lambda: s.request("GET", "/__harness_ready")[0] == 204, timeout=20)
        t0 = time.monotonic()
        c = Client(s.port)
        got = Counter(c.get("/").body for _ in range(400))
        mid = (t0 + time.monotonic()) / 2 - detected
        assert mid < fade - 4, f"sampled too late to tell ({mid:.1f} s into a {fade:.0f} s fade)"
        # Round robin offers b half of the requests, the fade keeps it with probability age/fade.
        expected = 400 * 0.5 * mid / fade
        assert 0.55 * expected < got[b"b"] < 1.6 * expected + 10, (got, mid)
