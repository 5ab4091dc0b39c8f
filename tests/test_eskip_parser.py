"""eskip parser: table-driven, one row per language rule and per error shape.

The error rows give Skipper's message word for word, with the position, the last token and the
last route id it carries. Positions are byte offsets into the UTF-8 text.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import pytest

from skipperd.errors import SkipperdError
from skipperd.eskip import (
    Backend,
    BackendType,
    Filter,
    ParseError,
    Predicate,
    Route,
    RouteDefinitionError,
    parse,
    parse_filters,
    parse_predicates,
)
from skipperd.eskip.lexer import EOF, NUMBER, STRING, SYMBOL, _tokenize_exact, tokenize
from skipperd.eskip.route import DYNAMIC, FORWARD, LOOPBACK, SHUNT


def P(name: str, *args: str | float) -> Predicate:
    return Predicate(name, tuple(args))


def F(name: str, *args: str | float) -> Filter:
    return Filter(name, tuple(args))


def net(address: str) -> Backend:
    return Backend(BackendType.NETWORK, address=address)


def lb(*endpoints: str, algorithm: str | None = None, zones: tuple[str, ...] = ()) -> Backend:
    return Backend(BackendType.LB, algorithm=algorithm, endpoints=endpoints, zones=zones)


def R(id: str, predicates: list[Predicate] | None = None, filters: list[Filter] | None = None, backend: Backend = SHUNT) -> Route:
    return Route(id, tuple(predicates or ()), tuple(filters or ()), backend)


# -- documents that parse ---------------------------------------------------------------------

DOCUMENTS: list[tuple[str, str, list[Route]]] = [
    ("empty", "", []),
    ("only semicolons", ";;", []),
    ("only a comment without newline", "// nothing", []),
    ("anonymous", '* -> "http://b"', [R("", backend=net("http://b"))]),
    ("anonymous with predicate first", 'Path("/a") -> <shunt>', [R("", [P("Path", "/a")])]),
    ("no whitespace at all", "r:*-><shunt>", [R("r")]),
    ("whitespace between id and colon", "r\t: * -> <shunt>", [R("r")]),
    ("several stars", "r: * && * && Foo() && * -> <shunt>", [R("r", [P("Foo")])]),
    ("Any dropped whatever its args", 'r: Any(1, "x") && Any() -> <shunt>', [R("r")]),
    ("filters without args", "r: * -> a() -> b() -> <loopback>", [R("r", [], [F("a"), F("b")], LOOPBACK)]),
    ("dynamic and forward", "a: * -> <dynamic>; b: * -> <forward>", [R("a", backend=DYNAMIC), R("b", backend=FORWARD)]),
    (
        "backtick strings escape the backtick, not the double quote",
        r'r: * -> f(`a\`b\n`, `say \"x\"`, "\`") -> <shunt>',
        [R("r", [], [F("f", "a`b\n", 'say \\"x\\"', "\\`")])],
    ),
    ("raw control bytes inside a string", 'r: * -> f("a\x00b\x1b") -> <shunt>', [R("r", [], [F("f", "a\x00b\x1b")])]),
    (
        "regexp: escaped brackets neither open nor close a class",
        r"r: PathRegexp(/a\[b\]\/c/) -> <shunt>",
        [R("r", [P("PathRegexp", r"a\[b\]/c")])],
    ),
    (
        "regexp: escaped ']' inside a class keeps it open",
        r"r: PathRegexp(/[\]/]x/) -> <shunt>",
        [R("r", [P("PathRegexp", r"[\]/]x")])],
    ),
    ("regexp: '//' inside is text", "r: PathRegexp(/a[/]/) && Foo(/x\\/\\/y/) -> <shunt>", [R("r", [P("PathRegexp", "a[/]"), P("Foo", "x//y")])]),
    ("string: '//' is text, not a comment", 'r: * -> "http://a//b" // comment', [R("r", backend=net("http://a//b"))]),
    ("numbers: digits after a decimal point", "r: Foo(0.125, 12.50, -0) -> <shunt>", [R("r", [P("Foo", 0.125, 12.5, -0.0)])]),
    ("LB backend, one endpoint", 'r: * -> <"http://a">', [R("r", backend=lb("http://a"))]),
    ("LB endpoint: absolute path", 'r: * -> <"/p", "/q">', [R("r", backend=lb("/p", "/q"))]),
    ("LB endpoint: scheme compared lower-cased", 'r: * -> <"http://a", "HTTP://b">', [R("r", backend=lb("http://a", "HTTP://b"))]),
    ("LB endpoint: opaque URI", 'r: * -> <"http:opaque">', [R("r", backend=lb("http:opaque"))]),
    ("LB endpoint: IPv6 literal and userinfo", 'r: * -> <"http://u:p@[::1]:80/x">', [R("r", backend=lb("http://u:p@[::1]:80/x"))]),
    (
        "LB zone: other query parameters are kept, sorted and re-encoded",
        'r: * -> <"http://a:80/p?b=2&zone=z&a=x%20y">',
        [R("r", backend=lb("http://a:80/p?a=x+y&b=2", zones=("z",)))],
    ),
    (
        "LB zone: an escaped value is unescaped, the first of several wins",
        'r: * -> <"http://a?zone=eu%20west&zone=other">',
        [R("r", backend=lb("http://a", zones=("eu west",)))],
    ),
    ("LB zone: empty value is no zone", 'r: * -> <"http://a?zone=">', [R("r", backend=lb("http://a?zone="))]),
    ("network backend: anything goes", 'r: * -> "not a url \\"at all\\""', [R("r", backend=net('not a url "at all"'))]),
    ("route ids may repeat", "r: * -> <shunt>; r: * -> <shunt>", [R("r"), R("r")]),
    (
        "Header and HeaderRegexp shapes",
        'r: Header("A", "1") && Header("B", "2") && HeaderRegexp("A", /x/) -> <shunt>',
        [R("r", [P("Header", "A", "1"), P("Header", "B", "2"), P("HeaderRegexp", "A", "x")])],
    ),
    ("unchecked predicates take any arguments", 'r: Weight("x") && Traffic("10") && Host2(1) -> <shunt>', [R("r", [P("Weight", "x"), P("Traffic", "10"), P("Host2", 1.0)])]),
]


@pytest.mark.parametrize("text, want", [(t, w) for _, t, w in DOCUMENTS], ids=[n for n, _, _ in DOCUMENTS])
def test_document(text: str, want: list[Route]) -> None:
    assert parse(text) == want


def test_numbers_are_floats() -> None:
    (route,) = parse("r: Foo(10, 007, -.5) -> <shunt>")
    assert route.predicates[0].args == (10.0, 7.0, -0.5)
    assert all(type(a) is float for a in route.predicates[0].args)


def test_number_too_large_is_infinity() -> None:
    # Go's ParseFloat gives +Inf (and an error Skipper ignores) for digits beyond float64.
    (route,) = parse(f"r: Foo({'9' * 400}, -{'9' * 400}) -> <shunt>")
    assert route.predicates[0].args == (math.inf, -math.inf)


def test_anonymous_route_id_is_empty() -> None:
    assert parse("* -> <shunt>")[0].id == ""


# -- filter and predicate lists ---------------------------------------------------------------

LISTS: list[tuple[str, str, str, list[Filter] | list[Predicate]]] = [
    ("filters", "blank", " \t\n ", []),
    ("filters", "comment only", "// just this", []),
    ("filters", "Go space around", "\u3000a() -> b(1)\u2028", [F("a"), F("b", 1.0)]),
    ("filters", "leading comma", "a(, 1)", [F("a", 1.0)]),
    ("predicates", "blank", "", []),
    ("predicates", "star dropped, Any kept", "* && Any() && *", [P("Any")]),
    ("predicates", "no route checks", 'Header("a") && Method(1) && Method(2)', [P("Header", "a"), P("Method", 1.0), P("Method", 2.0)]),
]


@pytest.mark.parametrize("mode, text, want", [(m, t, w) for m, _, t, w in LISTS], ids=[f"{m}-{n}" for m, n, _, _ in LISTS])
def test_list(mode: str, text: str, want: list[object]) -> None:
    got = parse_filters(text) if mode == "filters" else parse_predicates(text)
    assert got == want


# -- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Err:
    name: str
    text: str
    message: str
    position: int
    token: str
    route_id: str = ""
    mode: str = "document"

    @property
    def reason(self) -> str:
        return self.message.rsplit(": ", 1)[1]


SYNTAX_ERRORS = [
    Err("missing ';' between routes", "r1: * -> <shunt> r2: * -> <shunt>",
        "parse failed after token r2, last route id: r1, position 19: syntax error", 19, "r2", "r1"),
    Err("lexer failure where the end is fine: its reason wins", "r: * -> <shunt>; #",
        "parse failed after token ;, last route id: r, position 17: unexpected token", 17, ";", "r"),
    Err("after an anonymous route", "* -> <shunt> #",
        "parse failed after token <shunt>, position 13: unexpected token", 13, "<shunt>"),
    Err("unclosed string runs to the end", 'r: * -> "unclosed',
        "parse failed after token ->, last route id: r, position 17: syntax error", 17, "->", "r"),
    Err("unclosed string where the end is fine", 'r: * -> <shunt>; "abc',
        "parse failed after token ;, last route id: r, position 21: incomplete token", 21, ";", "r"),
    Err("incomplete number", "r: * -> f(3.) -> <shunt>",
        "parse failed after token (, last route id: r, position 12: syntax error", 12, "(", "r"),
    Err("a lone '.'", "r: * -> f(.) -> <shunt>",
        "parse failed after token (, last route id: r, position 11: syntax error", 11, "(", "r"),
    Err("a UTF-8 no-break space is no whitespace", "r:\u00a0* -> <shunt>",
        "parse failed after token :, last route id: r, position 2: syntax error", 2, ":", "r"),
    Err("positions count bytes", 'r: * -> f("ü") -> #',
        "parse failed after token ->, last route id: r, position 19: syntax error", 19, "->", "r"),
    Err("a string token is quoted unescaped", r'r: Foo("a\"b" #',
        'parse failed after token a"b, last route id: r, position 14: syntax error', 14, 'a"b', "r"),
    Err("a number token as written", "r: Foo(007 #",
        "parse failed after token 007, last route id: r, position 11: syntax error", 11, "007", "r"),
    Err("nothing lexed yet", "#", "parse failed after token , position 0: unexpected token", 0, ""),
    Err("route id and colon, then the end", "r:",
        "parse failed after token :, last route id: r, position 2: syntax error", 2, ":", "r"),
    Err("the id counts from its colon on", "r: #",
        "parse failed after token :, last route id: r, position 3: syntax error", 3, ":", "r"),
    Err("a symbol without colon is no id yet", "r #", "parse failed after token r, position 2: syntax error", 2, "r"),
    Err("no predicates", "r: -> <shunt>",
        "parse failed after token ->, last route id: r, position 5: syntax error", 5, "->", "r"),
    Err("-> at the start", "-> <shunt>", "parse failed after token ->, position 2: syntax error", 2, "->"),
    Err("empty filter slot", "r: * -> -> <shunt>",
        "parse failed after token ->, last route id: r, position 10: syntax error", 10, "->", "r"),
    Err("two backends", 'r: * -> "a" "b"',
        "parse failed after token b, last route id: r, position 15: syntax error", 15, "b", "r"),
    Err("regexp as network backend", "r: * -> /a/",
        "parse failed after token a, last route id: r, position 11: syntax error", 11, "a", "r"),
    Err("LB algorithm without comma", 'r: * -> <roundRobin "http://a">',
        "parse failed after token http://a, last route id: r, position 30: syntax error", 30, "http://a", "r"),
    Err("LB with a leading comma", 'r: * -> <, "http://a">',
        "parse failed after token ,, last route id: r, position 10: syntax error", 10, ",", "r"),
    Err("error in a later route names the last id", "a: * -> <shunt>; b: Foo( -> <shunt>",
        "parse failed after token ->, last route id: b, position 27: syntax error", 27, "->", "b"),
    Err("syntax beats an earlier route's semantic error", 'a: Path("/x") && Path("/y") -> <shunt>; b: ->',
        "parse failed after token ->, last route id: b, position 45: syntax error", 45, "->", "b"),
    Err("filters: after a filter, only '->'", "a() b()", "parse failed after token b, position 5: syntax error", 5, "b", mode="filters"),
    Err("filters: lone slash", "a() /", "parse failed after token ), position 4: invalid character", 4, ")", mode="filters"),
    Err("filters: not Go space, so not trimmed", "\x1ca()", "parse failed after token , position 0: unexpected token", 0, "", mode="filters"),
    Err("filters: trimmed before positions count", "\u3000a() ->\u3000", "parse failed after token ->, position 6: syntax error", 6, "->", mode="filters"),
    Err("filters: no star", "*", "parse failed after token *, position 1: syntax error", 1, "*", mode="filters"),
    Err("predicates: incomplete number at the end", "Foo() 3.", "parse failed after token ), position 8: incomplete token", 8, ")", mode="predicates"),
    Err("predicates: no arrow", "Foo() -> Bar()", "parse failed after token ->, position 8: syntax error", 8, "->", mode="predicates"),
    Err("predicates: no route id", "r: Foo()", "parse failed after token :, position 2: syntax error", 2, ":", mode="predicates"),
]


def _parse(mode: str, text: str) -> object:
    if mode == "filters":
        return parse_filters(text)
    if mode == "predicates":
        return parse_predicates(text)
    return parse(text)


@pytest.mark.parametrize("e", SYNTAX_ERRORS, ids=[e.name for e in SYNTAX_ERRORS])
def test_syntax_error(e: Err) -> None:
    with pytest.raises(ParseError) as info:
        _parse(e.mode, e.text)
    err = info.value
    assert type(err) is ParseError
    assert str(err) == e.message
    assert (err.position, err.token, err.route_id, err.reason) == (e.position, e.token, e.route_id, e.reason)
    assert err.describe() == e.message  # the message already says all there is
    assert isinstance(err, SkipperdError)


ROUTE_ERRORS: list[tuple[str, str, str, str]] = [
    # name, document, route id, message
    ("duplicate Path, checked before the arguments", 'r: Path("/a") && Path(1) -> <shunt>', "r", "duplicate path tree predicate"),
    ("duplicate Method", 'r: Method("GET") && Method("PUT") -> <shunt>', "r", "duplicate method predicate"),
    ("duplicate Header name", 'r: Header("X", "a") && Header("X", "b") -> <shunt>', "r", "duplicate header predicate: X"),
    ("Path with a number", 'r: Path(1) && Path("/a") -> <shunt>', "r", 'invalid route "r": Path predicate expects 1 string argument'),
    ("Method without arguments", "r: Method() -> <shunt>", "r", 'invalid route "r": Method predicate expects 1 string argument'),
    ("Host with two", "r: Host(/a/, /b/) -> <shunt>", "r", 'invalid route "r": Host predicate expects 1 string argument'),
    ("PathRegexp with a number", "r: PathRegexp(1) -> <shunt>", "r", 'invalid route "r": PathRegexp predicate expects 1 string argument'),
    ("Header with a number", 'r: Header("X", 1) -> <shunt>', "r", 'invalid route "r": Header predicate expects 2 string arguments'),
    ("HeaderRegexp with one", 'r: HeaderRegexp("X") -> <shunt>', "r", 'invalid route "r": HeaderRegexp predicate expects 2 string arguments'),
    ("anonymous route", "Method(1) -> <shunt>", "", 'invalid route "": Method predicate expects 1 string argument'),
    ("the first bad route wins", "a: Path(1) -> <shunt>; b: Method(1) -> <shunt>", "a", 'invalid route "a": Path predicate expects 1 string argument'),
    ("LB endpoints are checked before predicates", 'r: Path(1) -> <"bad">', "r", 'parse "bad": invalid URI for request'),
    ("LB: space in host", 'r: * -> <"http://a b">', "r", 'parse "http://a b": invalid character " " in host name'),
    ("LB: bad port", 'r: * -> <"http://10.0.0.1:80x">', "r", 'parse "http://10.0.0.1:80x": invalid port ":80x" after host'),
    ("LB: empty endpoint", 'r: * -> <"">', "r", 'parse "": empty url'),
    ("LB: colon first", 'r: * -> <":80">', "r", 'parse ":80": missing protocol scheme'),
    ("LB: bad escape in path", 'r: * -> <"http://h/%zz">', "r", 'parse "http://h/%zz": invalid URL escape "%zz"'),
    ("LB: escaped ASCII in host", 'r: * -> <"http://h%41">', "r", 'parse "http://h%41": invalid URL escape "%41"'),
    ("LB: no fragment in a request URI", 'r: * -> <"http://a#f">', "r", 'parse "http://a#f": invalid character "#" in host name'),
    ("LB: control character", r'r: * -> <"http://a\tb">', "r", 'parse "http://a\\tb": net/url: invalid control character in URL'),
    ("LB: unclosed IPv6 literal", 'r: * -> <"http://[::1">', "r", "parse \"http://[::1\": missing ']' in host"),
    ("LB: bad userinfo", 'r: * -> <"http://a^b@h">', "r", 'parse "http://a^b@h": net/url: invalid userinfo'),
    ("LB: mixed schemes", 'r: * -> <"http://a", "fastcgi://b">', "r", "loadbalancer endpoints cannot have mixed protocols"),
    ("LB: a path resets nothing", 'r: * -> <"/p", "http://a", "fastcgi://b">', "r", "loadbalancer endpoints cannot have mixed protocols"),
]


@pytest.mark.parametrize("text, route_id, message", [r[1:] for r in ROUTE_ERRORS], ids=[r[0] for r in ROUTE_ERRORS])
def test_route_error(text: str, route_id: str, message: str) -> None:
    with pytest.raises(RouteDefinitionError) as info:
        parse(text)
    err = info.value
    assert str(err) == message
    assert err.route_id == route_id
    assert err.position is None and err.token is None
    if message.startswith("invalid route ") or not route_id:
        assert err.describe() == message
    else:
        assert err.describe() == f'route "{route_id}": {message}'


def test_route_checks_only_in_documents() -> None:
    assert parse_predicates('Path("/a") && Path("/b")') == [P("Path", "/a"), P("Path", "/b")]


def test_messages_quote_like_go() -> None:
    with pytest.raises(RouteDefinitionError) as info:
        parse('r: * -> <"http://\\"ü\x7f">')
    assert str(info.value) == 'parse "http://\\"ü\\x7f": net/url: invalid control character in URL'


# -- the lexer --------------------------------------------------------------------------------


def test_lexer_single_byte_whitespace() -> None:
    # 0x85 and 0xA0 are whitespace as single bytes (never in valid UTF-8 outside a character).
    toks = tokenize(b"a\x85\xa0\v\fb")
    assert toks.kinds == [SYMBOL, SYMBOL, EOF]
    assert toks.error is None


@pytest.mark.parametrize(
    "data",
    [b"r: * -> <shunt> /", b'f("x', b"f(1.2.3)", b"// c", b"a //c\n b", b"x -y", b"<<shunt>>", b"\xc2\xa0", b"/[/]/ /a"],
)
def test_lexer_fast_and_exact_agree(data: bytes) -> None:
    fast, exact = tokenize(data), _tokenize_exact(data)
    assert (fast.kinds, fast.values, fast.error) == (exact.kinds, exact.values, exact.error)
    assert fast.end(len(fast.kinds) - 1) == exact.end(len(exact.kinds) - 1)


def test_lexer_numbers_keep_their_text() -> None:
    toks = tokenize(b"007 -.5 x")
    assert toks.kinds[:2] == [NUMBER, NUMBER] and toks.values[:2] == [b"007", b"-.5"]
    assert toks.text(0) == "007"


def test_lexer_string_value() -> None:
    toks = tokenize(b'"a\\qb"')
    assert toks.kinds[0] == STRING and toks.values[0] == "a\\qb"


# -- size -------------------------------------------------------------------------------------


def test_ten_thousand_routes_parse_in_linear_time() -> None:
    # Linear, not timed: 10,000 routes cost about ten times the CPU of 1,000 (a superlinear
    # parser, e.g. quadratic, would cost a hundred times). CPU time, and the best of three for
    # the small document, so a loaded machine does not make it fail.
    def doc(n: int) -> str:
        return "\n".join(
            f'r{i}: Host(/^app{i}[.]example[.]org$/) && PathSubtree("/api") && Method("GET")\n'
            f'  -> setRequestHeader("X-Route", "r{i}") -> ratelimit(20, "1m")\n'
            f'  -> <roundRobin, "http://10.2.{i % 250}.1:8080", "http://10.2.{i % 250}.2:8080">;'
            for i in range(n)
        )

    def cpu(text: str) -> float:
        start = time.process_time()
        parse(text)
        return time.process_time() - start

    small, big = doc(1_000), doc(10_000)
    routes = parse(big)
    assert len(routes) == 10_000 and routes[-1].id == "r9999"
    assert routes[1234].backend.endpoints == ("http://10.2.234.1:8080", "http://10.2.234.2:8080")
    one = min(cpu(small) for _ in range(3))
    ten = min(cpu(big) for _ in range(2))
    assert ten < 30 * one, f"1,000 routes {one:.3f} s CPU, 10,000 routes {ten:.3f} s CPU"
