"""Table swaps proportional to what changed (routing.incremental): same answers as a full build,
unchanged routes kept as the same objects, removed routes' filters closed, work in slices."""

from __future__ import annotations

import random
from typing import Any

from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Backend, BackendType, Filter, Predicate, Route
from skipperd.filters import make_registry as filters
from skipperd.http import Headers, Request
from skipperd.predicates import make_registry as predicates
from skipperd.registry import Registry
from skipperd.routing.incremental import IncrementalBuilder
from skipperd.routing.table import build_table
from skipperd.shm.codec import encode_table


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
