"""eskip printer: Skipper's layout, Go's number format, escaping, and the round trip."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from harness import DATA
from skipperd.eskip import (
    Backend,
    BackendType,
    Filter,
    Predicate,
    Route,
    filters_to_string,
    format_number,
    parse,
    parse_filters,
    parse_predicates,
    predicates_to_string,
    print_routes,
    route_to_string,
)
from skipperd.eskip.printer import quote
from skipperd.eskip.route import SHUNT

CASES = DATA / "eskip-cases.yaml"


@pytest.mark.parametrize(
    "value, text",
    [
        (10.0, "10"),
        (0.5, "0.5"),
        (-3.0, "-3"),
        (0.0, "0"),
        (-0.0, "-0"),
        (3.14, "3.14"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1000000000000000000000"),
        (1e-7, "0.0000001"),
        (-2.5e-10, "-0.00000000025"),
        (123456789012345678.0, "123456789012345680"),
        (1.7976931348623157e308, "17976931348623157" + "0" * 292),
        (5e-324, "0." + "0" * 323 + "5"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text
    assert parse_filters(f"f({text})")[0].args[0] == value


def test_format_number_infinity_reads_back() -> None:
    for value in (math.inf, -math.inf):
        assert parse_filters(f"f({format_number(value)})")[0].args == (value,)


def test_format_number_nan_has_no_form() -> None:
    with pytest.raises(ValueError):
        format_number(math.nan)


@pytest.mark.parametrize(
    "value, text",
    [
        ("plain", '"plain"'),
        ('say "hi"', r'"say \"hi\""'),
        ("a\\b", r'"a\\b"'),
        ("\a\b\f\n\r\t\v", r'"\a\b\f\n\r\t\v"'),
        ("\x00\x1b", '"\x00\x1b"'),  # no escape exists; the lexer takes the raw bytes
        ("\\d+ /x/ `", '"\\\\d+ /x/ `"'),
        ("grüße", '"grüße"'),
    ],
)
def test_quote(value: str, text: str) -> None:
    assert quote(value) == text
    assert parse_filters(f"f({text})")[0].args == (value,)


ROUTES = [
    Route(
        "r1",
        (Predicate("Path", ("/a",)), Predicate("Method", ("GET",))),
        (Filter("setRequestHeader", ("X", "y")), Filter("status", (200.0,))),
        Backend(BackendType.NETWORK, address="http://b"),
    ),
    Route("r2"),
    Route(
        "r3",
        (Predicate("Weight", (10.0,)),),
        (),
        Backend(BackendType.LB, algorithm="roundRobin", endpoints=("http://10.0.0.1:80", "http://10.0.0.2:80")),
    ),
]


def test_print_routes_pretty() -> None:
    assert print_routes(ROUTES) == (
        'r1: Path("/a") && Method("GET")\n'
        '  -> setRequestHeader("X", "y")\n'
        "  -> status(200)\n"
        '  -> "http://b";\n'
        "\n"
        "r2: *\n"
        "  -> <shunt>;\n"
        "\n"
        "r3: Weight(10)\n"
        '  -> <roundRobin, "http://10.0.0.1:80", "http://10.0.0.2:80">;\n'
    )
    assert parse(print_routes(ROUTES)) == ROUTES


def test_print_routes_one_line() -> None:
    assert print_routes(ROUTES, pretty=False) == (
        'r1: Path("/a") && Method("GET") -> setRequestHeader("X", "y") -> status(200) -> "http://b";\n'
        "r2: * -> <shunt>;\n"
        'r3: Weight(10) -> <roundRobin, "http://10.0.0.1:80", "http://10.0.0.2:80">;\n'
    )
    assert parse(print_routes(ROUTES, pretty=False)) == ROUTES


def test_route_to_string() -> None:
    assert route_to_string(ROUTES[0]) == 'Path("/a") && Method("GET") -> setRequestHeader("X", "y") -> status(200) -> "http://b"'
    assert route_to_string(ROUTES[1]) == "* -> <shunt>"


def test_anonymous_route_prints_as_expression() -> None:
    route = Route("", (Predicate("Path", ("/x",)),), (), SHUNT)
    assert print_routes([route]) == 'Path("/x")\n  -> <shunt>\n'
    assert parse(print_routes([route])) == [route]
    assert print_routes([]) == ""
    assert parse(print_routes([])) == []


def test_star_and_any_are_not_printed_in_routes() -> None:
    route = Route("r", (Predicate("*"), Predicate("Any", ("x",)), Predicate("Foo")), (), SHUNT)
    assert route_to_string(route) == "Foo() -> <shunt>"


def test_lists() -> None:
    filters = [Filter("a"), Filter("b", (1.0, "x"))]
    assert filters_to_string(filters) == 'a() -> b(1, "x")'
    assert parse_filters(filters_to_string(filters)) == filters
    assert filters_to_string([]) == "" and parse_filters("") == []
    predicates = [Predicate("Any"), Predicate("Foo", (-0.5,))]
    assert predicates_to_string(predicates) == "Any() && Foo(-0.5)"
    assert parse_predicates(predicates_to_string(predicates)) == predicates
    assert predicates_to_string([]) == "*" and parse_predicates("*") == []


@pytest.mark.parametrize(
    "backend, text",
    [
        (Backend(BackendType.LB, endpoints=("http://a",)), '<"http://a">'),
        (Backend(BackendType.LB, endpoints=("http://a", "http://b"), zones=("z1", "")), '<"http://a?zone=z1", "http://b">'),
        (Backend(BackendType.LB, endpoints=("http://a?x=1",), zones=("eu west",)), '<"http://a?x=1&zone=eu+west">'),
        (Backend(BackendType.LB, endpoints=("http://a/p#f",), zones=("z/ü",)), '<"http://a/p?zone=z%2F%C3%BC#f">'),
        (Backend(BackendType.LOOPBACK), "<loopback>"),
        (Backend(BackendType.DYNAMIC), "<dynamic>"),
        (Backend(BackendType.FORWARD), "<forward>"),
        (Backend(BackendType.NETWORK, address='a"b'), r'"a\"b"'),
    ],
)
def test_backends_round_trip(backend: Backend, text: str) -> None:
    route = Route("r", (), (), backend)
    assert route_to_string(route) == f"* -> {text}"
    assert parse(print_routes([route])) == [route]


@pytest.mark.parametrize(
    "routes",
    [
        [Route("not a symbol")],
        [Route("1r")],
        [Route(""), Route("r")],
        [Route("r", (Predicate("bad name"),))],
        [Route("r", (), (Filter("f-x"),))],
        [Route("r", (), (), Backend(BackendType.LB))],
        [Route("r", (), (), Backend(BackendType.LB, algorithm="round robin", endpoints=("http://a",)))],
        [Route("r", (), (Filter("f", (math.nan,)),))],
    ],
)
def test_unprintable_routes_raise(routes: list[Route]) -> None:
    with pytest.raises(ValueError):
        print_routes(routes)


def _case_documents() -> list[tuple[str, str]]:
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]
    return [(c["name"], c["input"]) for c in cases if c.get("mode", "document") == "document" and not c.get("expect_error")]


@pytest.mark.parametrize("name, text", _case_documents())
def test_round_trip_conformance_documents(name: str, text: str) -> None:
    routes = parse(text)
    for pretty in (True, False):
        assert parse(print_routes(routes, pretty=pretty)) == routes
