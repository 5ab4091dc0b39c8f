"""Figures for the shared table: ``python -m skipperd.shm.bench [ROUTES]``.

Prints the cost of ``TableReader.generation()`` (once per request in a worker) and of encoding,
publishing, reading and decoding a table of ROUTES (default 10,000) Kubernetes-like routes, each
with three predicates, three filters and a network, LB or shunt backend.
"""

from __future__ import annotations

import sys
import time
import timeit
import uuid
from typing import Callable, TypeVar

from skipperd.eskip.route import SHUNT, Backend, BackendType, Filter, Predicate, Route
from skipperd.shm.codec import decode_table, encode_table
from skipperd.shm.segment import Publisher, TableReader, cleanup_stale

T = TypeVar("T")


def sample_routes(n: int) -> list[Route]:
    routes = []
    for i in range(n):
        if i % 3 == 0:
            backend = Backend(BackendType.LB, algorithm="roundRobin",
                              endpoints=(f"http://10.0.{i % 250}.1:8080", f"http://10.0.{i % 250}.2:8080"))
        elif i % 3 == 1:
            backend = Backend(BackendType.NETWORK, address=f"http://svc-{i % 50}.default.svc:80")
        else:
            backend = SHUNT
        routes.append(Route(
            f"kube_ns{i % 40}__ingress{i}__host{i}_example_org____svc{i}",
            (Predicate("Host", (f"^(host{i}[.]example[.]org[.]?(:[0-9]+)?)$",)),
             Predicate("PathSubtree", (f"/api/v{i % 3}",)), Predicate("Weight", (float(i % 5),))),
            (Filter("setRequestHeader", ("X-Route", f"r{i}")), Filter("ratelimit", (20.0, "1m")),
             Filter("status", (200.0,))),
            backend))
    return routes


def _best(f: Callable[[], T], repeat: int = 7) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - t0)
    assert result is not None
    return best, result


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 10_000
    instance = "bench" + uuid.uuid4().hex[:8]
    pub = Publisher(instance)
    try:
        pub.publish(b"x")
        reader = TableReader(instance)
        calls = 2_000_000
        per_call = min(timeit.repeat(reader.generation, number=calls, repeat=5)) / calls
        print(f"reader.generation(): {per_call * 1e9:.0f} ns per call")
        per_call = min(timeit.repeat(reader.shutdown, number=calls, repeat=5)) / calls
        print(f"reader.shutdown():   {per_call * 1e9:.0f} ns per call")

        routes = sample_routes(n)
        t_enc, payload = _best(lambda: encode_table(routes, {}))
        t_pub, _ = _best(lambda: pub.publish(payload))
        t_read, got = _best(reader.read)
        assert got is not None
        t_dec, (back, _) = _best(lambda: decode_table(got[1]))
        assert back == routes
        print(f"{n} routes, payload {len(payload) / 1e6:.2f} MB: encode {t_enc * 1e3:.1f} ms, "
              f"publish {t_pub * 1e3:.1f} ms, read {t_read * 1e3:.1f} ms, decode {t_dec * 1e3:.1f} ms")
        reader.close()
    finally:
        pub.close()
        cleanup_stale(instance)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
