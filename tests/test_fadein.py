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
