"""Table-driven catalogue tests through real proxied requests: cases, one skipperd, one origin.

A ``Case`` is a route (predicates, filters, backend) and a request; its expectations say what
the origin received (``origin`` headers, ``target``) and what the client got (``status``,
``client`` headers, ``body``). ``run_cases`` writes one routes file with a route per case
(``PathSubtree("/c/<id>")``), starts one skipperd in front of one echo origin
(``echo_origin.EchoOrigin``), sends every request and returns the results, so a table of fifty
cases costs one process start. ``Bad`` entries are routes whose arguments are invalid: each must
be dropped alone and listed at ``/routes/invalid``.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from echo_origin import EchoOrigin
from harness import Options, Skipperd

ORIGIN = "ORIGIN"  # replaced by the origin's URL
ABSENT = None


@dataclass
class Result:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    echo: dict[str, Any] | None  # what the origin received, when the body is its echo

    def client(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def origin(self, name: str) -> list[str]:
        assert self.echo is not None, f"the origin was not reached: {self.status} {self.body[:200]!r}"
        return [v for k, v in self.echo["headers"] if k.lower() == name.lower()]


@dataclass
class Case:
    id: str
    filters: str = ""
    predicates: str = ""
    backend: str = ORIGIN
    method: str = "GET"
    path: str = ""                 # after /c/<id>
    headers: Sequence[tuple[str, str | bytes]] = ()
    body: bytes | None = None
    status: int = 200
    origin: dict[str, list[str] | None] = field(default_factory=dict)   # None: absent
    client: dict[str, list[str] | None] = field(default_factory=dict)
    target: str | None = None      # the request target the origin saw
    body_is: bytes | None = None
    check: Callable[[Result], None] | None = None
    extra_routes: str = ""         # more routes the case needs (loopback targets)

    @property
    def prefix(self) -> str:
        return f"/c/{self.id}"

    def route(self, origin: str) -> str:
        preds = f'PathSubtree("{self.prefix}")' + (f" && {self.predicates}" if self.predicates else "")
        parts = [preds] + ([self.filters] if self.filters else []) + \
            [f'"{origin}"' if self.backend == ORIGIN else self.backend.replace(ORIGIN, origin)]
        return f"c_{self.id}: " + " -> ".join(parts) + ";\n" + self.extra_routes.replace(ORIGIN, origin)


@dataclass
class Bad:
    """A route that must be invalid: ``expr`` is a filter, or a predicate when ``predicate``."""

    expr: str
    predicate: bool = False


def request(s: Skipperd, method: str, path: str, headers: Sequence[tuple[str, str | bytes]] = (),
            body: bytes | None = None) -> Result:
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    try:
        names = {k.lower() for k, _ in headers}
        conn.putrequest(method, path, skip_host="host" in names, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        hs = list(r.getheaders())
    finally:
        conn.close()
    echo = None
    if data.startswith(b'{"method"'):
        echo = json.loads(data)
    return Result(r.status, hs, data, echo)


def verify(case: Case, r: Result) -> None:
    where = f"case {case.id}"
    assert r.status == case.status, f"{where}: status {r.status}, body {r.body[:300]!r}"
    for name, values in case.origin.items():
        got = r.origin(name)
        if values is None:
            assert got == [], f"{where}: origin got {name}: {got}"
        else:
            assert got == values, f"{where}: origin got {name}: {got}, expected {values}"
    for name, values in case.client.items():
        got = r.client(name)
        if values is None:
            assert got == [], f"{where}: client got {name}: {got}"
        else:
            assert got == values, f"{where}: client got {name}: {got}, expected {values}"
    if case.target is not None:
        assert r.echo is not None and r.echo["target"] == case.target, \
            f"{where}: origin target {r.echo and r.echo['target']!r}, expected {case.target!r}"
    if case.body_is is not None:
        assert r.body == case.body_is, f"{where}: body {r.body[:300]!r}"
    if case.check is not None:
        case.check(r)


class Catalogue:
    """One skipperd with every case's route, and the bad routes, in front of one echo origin."""

    def __init__(self, tmp: Path, cases: Sequence[Case], bad: Sequence[Bad] = (), args: Sequence[str] = ()) -> None:
        ids = [c.id for c in cases]
        assert len(ids) == len(set(ids)), "case ids must be unique"
        self.cases = {c.id: c for c in cases}
        self.bad = list(bad)
        self.origin = EchoOrigin()
        routes = "".join(c.route(self.origin.url) for c in cases)
        for i, b in enumerate(bad):
            if b.predicate:
                routes += f'bad_{i}: PathSubtree("/bad/{i}") && {b.expr} -> status(200) -> <shunt>;\n'
            else:
                routes += f'bad_{i}: PathSubtree("/bad/{i}") -> {b.expr} -> status(200) -> <shunt>;\n'
        routes += 'harness_ready: Path("/__harness_ready") -> status(204) -> <shunt>;\n'
        self.skipperd = Skipperd(Options(routes=routes, args=list(args)), tmp)
        self.routes = routes

    def __enter__(self) -> "Catalogue":
        try:
            self.skipperd.start()
        except Exception:
            self.origin.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.skipperd.stop()
        self.origin.close()

    def run(self, case_id: str) -> Result:
        c = self.cases[case_id]
        r = request(self.skipperd, c.method, c.prefix + c.path, c.headers, c.body)
        verify(c, r)
        return r

    def invalid(self) -> dict[str, str]:
        status, _, body = self.skipperd.support("/routes/invalid")
        assert status == 200
        return {i["route_id"]: i["reason"] for i in json.loads(body)}
