"""Table swaps proportional to what changed (routing.incremental): same answers as a full build,
unchanged routes kept as the same objects, removed routes' filters closed, work in slices."""

from __future__ import annotations

import random
import uuid
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skipperd.config import Settings
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Backend, BackendType, Filter, Predicate, Route
from skipperd.filters import make_registry as filters
from skipperd.http import Headers, Request
from skipperd.predicates import make_registry as predicates
from skipperd.registry import Registry
from skipperd.proxy.config import ProxyConfig
from skipperd.proxy.handler import Proxy
from skipperd.routing.cache import SpecCache
from skipperd.routing.incremental import IncrementalBuilder
from skipperd.routing.table import build_table
from skipperd.shm.codec import CodecError, encode_table
from skipperd.shm.segment import Publisher, TableReader
from skipperd.worker.routes import TableHolder


def host_rx(host: str) -> str:
    return "^(" + host.replace(".", "[.]") + "[.]?(:[0-9]+)?)$"


def kube_route(i: int, variant: int = 0) -> Route:
    h = i // 4
    paths = (("Path", "/"), ("PathSubtree", "/api"), ("Path", "/api/v1/items/:id"), ("PathSubtree", "/static"))
    name, path = paths[i % 4]
    preds = (Predicate("Host", (host_rx(f"svc{h}.example.org"),)), Predicate(name, (path,)))
    if i % 7 == 0:
        preds = (Predicate(name, (path + "x",)), Predicate("Method", ("GET",)))  # no host: the generic tree
    fs = (Filter("setRequestHeader", ("X-Route", f"r{i}")), Filter("setResponseHeader", ("X-V", str(variant))))
    backend = Backend(BackendType.LB, endpoints=tuple(f"http://10.0.{h % 250}.{k}:8080" for k in range(3)))
    return Route(f"r{i}", preds, fs, backend)


def requests(n: int) -> list[Request]:
    rnd = random.Random(7)
    out = []
    for _ in range(300):
        h = rnd.randrange(n // 4 + 2)
        path = rnd.choice(["/", "/api", "/api/x", "/api/v1/items/3", "/static/a.css", "/apix", "/staticx/y"])
        out.append(Request(rnd.choice(["GET", "POST"]), path, Headers(), host=f"svc{h}.example.org"))
    return out


def answers(table: Any, reqs: list[Request]) -> list[Any]:
    out = []
    for r in reqs:
        m = table.match(r)
        out.append(None if m is None else (m[0].id, m[0].definition, m[1]))
    return out


def test_incremental_builds_answer_as_full_builds() -> None:
    n = 400
    rnd = random.Random(1)
    routes = [kube_route(i) for i in range(n)]
    p, f = predicates(), filters()
    b = IncrementalBuilder(p, f, slice_seconds=0.0)
    reqs = requests(n)
    for step in range(12):
        slices = sum(1 for _ in b.build(encode_table(routes, {})))
        assert slices > 0  # with a zero slice it yields
        full, _ = build_table(routes, p, f)
        assert b.table is not None
        assert answers(b.table, reqs) == answers(full, reqs), step
        # change, add and remove a few routes
        for _ in range(rnd.randrange(1, 6)):
            k = rnd.randrange(len(routes))
            action = rnd.choice(["change", "remove", "add"])
            if action == "change":
                routes[k] = kube_route(int(routes[k].id[1:]), variant=step + 1)
            elif action == "remove" and len(routes) > 10:
                routes.pop(k)
            else:
                routes.append(kube_route(n + step * 10 + k % 10))


def test_unchanged_routes_are_kept_and_only_changes_compiled() -> None:
    routes = [kube_route(i) for i in range(200)]
    b = IncrementalBuilder(predicates(), filters())
    t1 = b.build_now(encode_table(routes, {}))
    assert b.compiled == 200 and b.reused == 0
    routes[5] = kube_route(5, variant=1)
    t2 = b.build_now(encode_table(routes, {}))
    assert b.compiled == 1 and b.reused == 199
    assert t2.get("r6") is t1.get("r6")
    assert t2.get("r5") is not t1.get("r5")
    # host trees of other hosts are shared between the two matchers
    shared = [h for h, t in t2.matcher.trees().items() if t1.matcher.trees().get(h) is t]
    assert len(shared) == len(t2.matcher.trees()) - 1


class Closable:
    def __init__(self) -> None:
        self.closed = False

    def request(self, ctx: Any) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class PerRoute:
    name = "perRoute"
    per_route = True

    def __init__(self) -> None:
        self.made: list[Closable] = []

    def create(self, args: tuple[Any, ...]) -> Closable:
        if args:
            raise InvalidArguments(self.name, "takes no arguments")
        c = Closable()
        self.made.append(c)
        return c


def test_per_route_state_survives_and_removed_routes_close() -> None:
    spec = PerRoute()
    reg: Registry[Any] = Registry([spec])
    b = IncrementalBuilder(predicates(), reg)

    def r(i: int, path: str = "/") -> Route:
        return Route(f"r{i}", (Predicate("Path", (f"{path}{i}",)),), (Filter("perRoute"),), Backend(BackendType.SHUNT))

    b.build_now(encode_table([r(1), r(2), r(3)], {}))
    first = {x.id: x.filters[0] for x in b.table}  # type: ignore[union-attr]
    # r2's path changes (route recompiled), r3 is removed
    b.build_now(encode_table([r(1), r(2, "/other")], {}))
    now = {x.id: x.filters[0] for x in b.table}  # type: ignore[union-attr]
    assert now["r1"] is first["r1"] and now["r2"] is first["r2"]
    assert first["r3"].closed and not first["r1"].closed and not first["r2"].closed
    bad = Route("bad", (), (Filter("perRoute", ("x",)),), Backend(BackendType.SHUNT))
    b.build_now(encode_table([r(1), bad], {}))
    assert [i.route_id for i in b.invalid] == ["bad"] and first["r2"].closed


# --- property: any sequence of generations builds as full builds do ---------------------------------

HOSTS = ("a.example.org", "b.example.org", "c.example.org")
PATHS = (("Path", "/"), ("PathSubtree", "/api"), ("Path", "/api/v1/:id"), ("Path", "/x/*rest"), (None, ""))

# (id, host choice, path choice, filter variant, endpoint variant); ids from a small set so that
# generations overlap, repeat ids (superseded definitions) and redefine routes.
route_specs = st.tuples(st.integers(0, 11), st.integers(0, 4), st.integers(0, len(PATHS) - 1),
                        st.integers(0, 3), st.integers(0, 2))


def spec_route(spec: tuple[int, int, int, int, int]) -> Route:
    i, host, path, variant, eps = spec
    preds: list[Predicate] = []
    if host < len(HOSTS):
        preds.append(Predicate("Host", (host_rx(HOSTS[host]),)))
    elif host == len(HOSTS):  # two hosts: in two host trees
        preds.append(Predicate("Host", ("^(a[.]example[.]org|b[.]example[.]org)$",)))
    name, p = PATHS[path]
    if name is not None:
        preds.append(Predicate(name, (p,)))
    if variant == 2:
        preds.append(Predicate("Method", ("GET",)))
    if variant == 3:  # invalid: dropped and reported, as a full build does
        fs: tuple[Filter, ...] = (Filter("setRequestHeader", ("X-Only-Name",)),)
    else:
        fs = (Filter("setResponseHeader", ("X-V", str(variant))),)
    backend = Backend(BackendType.LB, endpoints=tuple(f"http://10.0.0.{eps + k}:80" for k in range(2)))
    return Route(f"r{i}", tuple(preds), fs, backend)


def probe_requests() -> list[Request]:
    out = []
    for host in HOSTS + ("d.example.org",):
        for path in ("/", "/api", "/api/", "/api/v1/3", "/x/y/z", "/other"):
            for method in ("GET", "POST"):
                out.append(Request(method, path, Headers(), host=host))
    return out


def table_view(table: Any) -> list[Any]:
    return [(r.id, r.definition) for r in table]


def reports(invalid: list[Any]) -> list[tuple[str, str]]:
    return [(i.route_id, i.reason) for i in invalid]


def pools_view(proxy: Proxy) -> set[Any]:
    return set(proxy.upstream.endpoints)


def endpoint_keys(table: Any) -> set[Any]:
    return {e.key for r in table for e in r.backend.endpoints}


@settings(database=None, max_examples=120, deadline=None)
@given(st.lists(st.lists(route_specs, max_size=14), min_size=1, max_size=7), st.booleans())
def test_any_sequence_of_generations_builds_as_full_builds(generations: list[list[Any]], sliced: bool) -> None:
    p, f = predicates(), filters()
    b = IncrementalBuilder(p, f, slice_seconds=0.0 if sliced else 1.0)
    proxy = Proxy(ProxyConfig.from_settings(Settings()))
    reqs = probe_requests()
    before: Any = None
    for specs in generations:
        routes = [spec_route(s) for s in specs]
        for k in endpoint_keys(before or ()):
            proxy.upstream.endpoint(k)  # a pool for every endpoint of the table in place
        table = b.build_now(encode_table(routes, {}))
        proxy.table_changed(table, b.added, b.removed)
        cache = SpecCache()
        full, full_invalid = build_table(routes, p, f, cache)
        assert table_view(table) == table_view(full)
        assert reports(b.invalid) == reports(full_invalid)
        assert answers(table, reqs) == answers(full, reqs)
        assert len(b.cache) == len(cache), "the cache holds what a full build holds, no more"
        if before is not None:
            kept = {r.id: r for r in before}
            for r in table:
                old = kept.get(r.id)
                if old is not None and old.definition == r.definition:
                    assert r is old, f"{r.id} unchanged: the same runtime route"
            assert {r.id for r in b.added} | {r.id for r in b.removed} <= {r.id for r in before} | {r.id for r in table}
            assert set(b.added).isdisjoint(before) and set(b.removed) <= set(before)
        # the pools of endpoints that left are closed; those still named are kept
        assert pools_view(proxy) == endpoint_keys(before or ()) & endpoint_keys(table)
        before = table


def test_a_route_defined_twice_keeps_its_last_definition() -> None:
    b = IncrementalBuilder(predicates(), filters())
    r1, r2, r3 = kube_route(1), kube_route(2), kube_route(3)
    t1 = b.build_now(encode_table([r1, r2, r3], {}))
    # r2 defined again after r3 with another definition; then the very same row twice
    t2 = b.build_now(encode_table([r1, r2, r3, kube_route(2, variant=9)], {}))
    assert [r.id for r in t2] == ["r1", "r3", "r2"]
    assert t2.get("r2") is not t1.get("r2") and t2.get("r2").definition == kube_route(2, variant=9)  # type: ignore[union-attr]
    assert t2.get("r1") is t1.get("r1") and t2.get("r3") is t1.get("r3")
    assert reports(b.invalid) == [("r2", "duplicate route id, superseded by a later definition")]
    assert b.removed == [t1.get("r2")]
    t3 = b.build_now(encode_table([r1, r3, r3], {}))
    assert [r.id for r in t3] == ["r1", "r3"] and reports(b.invalid) == [
        ("r3", "duplicate route id, superseded by a later definition")]
    assert t3.get("r1") is t1.get("r1")
    full, _ = build_table([r1, r3], predicates(), filters())
    assert answers(t3, requests(8)) == answers(full, requests(8))


# --- bad payloads: a clear error, and nothing lost ----------------------------------------------------

def malformed(good: bytes) -> list[bytes]:
    rows = msgpack.unpackb(good)
    bad_row = msgpack.packb([1, {}, rows[2][:3] + [["r9", [["Path", ["/"]]], [], {"not": "a list"}]]])
    not_str_id = msgpack.packb([1, {}, rows[2][:3] + [[7, [], [], [1]]]])
    short_row = msgpack.packb([1, {}, rows[2][:3] + [["r9", [], []]]])
    bad_backend = msgpack.packb([1, {}, rows[2][:3] + [["r9", [], [], [99]]]])
    return [good[:-7], good[:len(good) // 2], b"\xc1", msgpack.packb([2, {}, []]), bad_row, not_str_id,
            short_row, bad_backend, good + b"\x00", msgpack.packb([1, {}, []]) + b"\x00"]


def test_a_malformed_payload_raises_codec_error_and_the_builder_keeps_its_table() -> None:
    routes = [kube_route(i) for i in range(40)]
    good = encode_table(routes, {})
    b = IncrementalBuilder(predicates(), filters(), slice_seconds=0.0)
    t1 = b.build_now(good)
    entries = len(b.cache)
    for bad in malformed(good):
        with pytest.raises(CodecError):
            b.build_now(bad)
        assert b.table is t1 and len(b.cache) >= entries
    # the next good payload builds relative to the last good table, and the cache holds what
    # that table needs (entries made by a failed build are pruned)
    routes[3] = kube_route(3, variant=5)
    t2 = b.build_now(encode_table(routes, {}))
    assert b.compiled == 1 and t2.get("r4") is t1.get("r4")
    fresh = SpecCache()
    build_table(routes, predicates(), filters(), fresh)
    assert len(b.cache) == len(fresh)


def test_the_worker_keeps_serving_its_table_after_a_malformed_publication() -> None:
    instance = "t" + uuid.uuid4().hex[:10]
    pub = Publisher(instance)
    reader = TableReader(instance)
    try:
        swaps: list[tuple[Any, list[Any], list[Any]]] = []
        holder = TableHolder(reader, on_swap=lambda t, a, r: swaps.append((t, a, r)))
        holder.background = False
        routes = [kube_route(i) for i in range(20)]
        pub.publish(encode_table(routes, {}))
        t1 = holder.current()
        assert len(t1) == 20 and holder.generation == 1 and len(swaps) == 1
        pub.publish(encode_table(routes, {})[:-9])
        assert holder.current() is t1 and holder.generation == 2 and len(swaps) == 1
        routes[0] = kube_route(0, variant=1)
        pub.publish(encode_table(routes, {}))
        t3 = holder.current()
        assert t3 is not t1 and holder.generation == 3
        table, added, removed = swaps[-1]
        assert table is t3 and [r.id for r in added] == ["r0"] and removed == [t1.get("r0")]
        assert t3.get("r1") is t1.get("r1")
    finally:
        reader.close()
        pub.close()
        for p in Path("/dev/shm").glob(f"skipperd-{instance}-*"):
            p.unlink()


def test_a_background_build_lets_the_event_loop_poll_between_slices() -> None:
    """The worker pauses between slices with a timer: ``gevent.sleep(0)`` would only queue a
    callback, and the hub runs up to 50 of them in a row before it polls a socket, so the
    slices would follow one another with no connection served in between."""
    import gevent
    from gevent import socket as gsocket
    from gevent.socket import wait_read

    instance = "t" + uuid.uuid4().hex[:10]
    pub = Publisher(instance)
    reader = TableReader(instance)
    a, b = gsocket.socketpair()
    try:
        holder = TableHolder(reader)
        pub.publish(encode_table([kube_route(i) for i in range(3000)], {}))
        holder.current()
        holder._builder.slice = 0.0  # a slice every 64 rows: many pauses
        polled = 0
        done = False

        def ping() -> None:  # every round waits for the socket: one poll of the event loop
            nonlocal polled
            while not done:
                b.sendall(b"x")
                wait_read(a.fileno(), timeout=5)  # through the hub, even when data is there
                a.recv(1)
                polled += 1

        pinger = gevent.spawn(ping)
        gevent.sleep(0.01)
        gen = pub.publish(encode_table([kube_route(i, variant=1) for i in range(3000)], {}))
        polled = 0
        holder.current()  # starts the background build
        while holder.generation != gen:
            gevent.sleep(0.001)
        done = True
        pinger.join(timeout=5)
        assert polled >= 40, f"the event loop polled {polled} times during a build of 3000 routes"
    finally:
        a.close()
        b.close()
        reader.close()
        pub.close()
        for p in Path("/dev/shm").glob(f"skipperd-{instance}-*"):
            p.unlink()
