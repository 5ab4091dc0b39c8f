"""LB endpoints are checked as Go's url.ParseRequestURI checks them (skipperd.eskip.parser).

The cases mutation testing showed unchecked: IPv6 literals with zones, ports, userinfo. Each
invalid endpoint fails its route with Go's own words, quoted as Skipper quotes them.
"""

from __future__ import annotations

import pytest

from skipperd.eskip import parse
from skipperd.eskip import parse_predicates, print_routes
from skipperd.eskip.parser import ParseError, RouteDefinitionError, go_quote, query_escape


def lb(endpoint: str) -> str:
    return f'r: * -> <"{endpoint}">;'


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://a@b@c",  # the userinfo ends at the last "@" and may hold "@"
        "http://@host",
        "http://[fe80::1%25en0]:8080/",
        "http://[fe80::1%25en%200]",  # a zone may escape a space
        "http://[fe80::1%25a%20b%25c]",  # the zone starts at the first "%25"
        "http://[::1]/",
        "http://[::1]",
        "http://a:1:2",  # the port is after the last ":"
        "http://u:p%41ss@a",
        "http://[::1]:9/",
        "http://a:1:90",
        "http://a/%41",  # an escape at the very end
        "http://%C3%BC.example/",  # a host escapes bytes past ASCII
        "http://a%80b/",
        "http://a%25b/",  # and "%25" itself
        "http://a\x80b/",  # a character past ASCII is the host's own business
        "http://a\x80%C3%BCb/",  # ... also beside an escape
        "*",
        "http://a/%41?x=%zz",  # the query is not checked
    ],
)
def test_valid_endpoints(endpoint: str) -> None:
    assert parse(lb(endpoint))[0].backend.endpoints == (endpoint,)


@pytest.mark.parametrize(
    "endpoint, reason",
    [
        ("http://[::1", "missing ']' in host"),
        ("http://[::1]x", 'invalid port "x" after host'),
        ("http://[::1]:8x", 'invalid port ":8x" after host'),
        ("http://:x/", 'invalid port ":x" after host'),
        ("http://a:x:1x", 'invalid port ":1x" after host'),
        ("http://a:8A", 'invalid port ":8A" after host'),
        ("http://{}/", 'invalid character "{" in host name'),
        ("http://%zz/", 'invalid URL escape "%zz"'),
        ("http://a%41/", 'invalid URL escape "%41"'),
        ("http://a/%4z", 'invalid URL escape "%4z"'),
        ("http://a/%z4", 'invalid URL escape "%z4"'),
        ("http://a/%4", 'invalid URL escape "%4"'),
        ("http://a/%zzz", 'invalid URL escape "%zz"'),
        ("http://a/%41%zz", 'invalid URL escape "%zz"'),
        ("http://[fe80::1%25en{0]", 'invalid character "{" in host name'),
        ("h_ttp://a", "invalid URI for request"),  # "_" cannot be in a scheme: no scheme, no path
        ("1http://a/%41", "invalid URI for request"),  # nor can a digit start one
        ("http:/%zz", 'invalid URL escape "%zz"'),  # one slash: a path, not an authority
        ("http://[fe80::%41%25en0]", 'invalid URL escape "%41"'),  # the host escapes only non-ASCII
        ("http://[fe80::1%25en%2F0]", 'invalid URL escape "%2F"'),  # the zone: only host characters
        ("http://[fe80::1%25en%zz]", 'invalid URL escape "%zz"'),
        ("http://[fe80::1%25en%01]", 'invalid URL escape "%01"'),
        ("http://[::1%41]", 'invalid URL escape "%41"'),
        ("http://[::1 ]", 'invalid character " " in host name'),
        ("http://u@a%zz", 'invalid URL escape "%zz"'),
        ("http://u@a b", 'invalid character " " in host name'),
        ("http://u v@a", "net/url: invalid userinfo"),
        ("http://u%zz@a", 'invalid URL escape "%zz"'),
    ],
)
def test_invalid_endpoints_fail_with_gos_reason(endpoint: str, reason: str) -> None:
    with pytest.raises(ParseError) as e:
        parse(lb(endpoint))
    assert str(e.value).endswith(f'parse "{endpoint}": {reason}'), str(e.value)


@pytest.mark.parametrize("text, escaped", [
    ("a b/c?d=e&f", "a+b%2Fc%3Fd%3De%26f"),  # Go's url.QueryEscape leaves no "/" as it is
    ("zone-1_X.~", "zone-1_X.~"),
    ("ü", "%C3%BC"),
    ("\udcff", "%FF"),  # a byte that was not UTF-8 (kept as a lone surrogate) goes back as itself
    ("\ud800", "%ED%A0%80"),  # any other lone surrogate: its UTF-8 bytes, as Go's string holds them
])
def test_query_escape_is_gos(text: str, escaped: str) -> None:
    assert query_escape(text) == escaped


def test_an_lb_zone_that_is_not_utf8_survives_the_round_trip() -> None:
    routes = parse('r: * -> <"http://a?zone=%ff", "http://b?zone=z%20x&b=1">;')
    backend = routes[0].backend
    assert (backend.endpoints, backend.zones) == (("http://a", "http://b?b=1"), ("\udcff", "z x"))
    assert print_routes(routes, pretty=False) == 'r: * -> <"http://a?zone=%FF", "http://b?b=1&zone=z+x">;\n'


@pytest.mark.parametrize("text, quoted", [
    ("plain", '"plain"'),
    ('a"b', '"a\\"b"'),
    ("a\\b", '"a\\\\b"'),
    ('ü "q"', '"ü \\"q\\""'),  # past the ASCII shortcut: a space stays a space
    ("\ud800", '"\\xed\\xa0\\x80"'),  # a lone surrogate is bytes that are not UTF-8 to Go
    ("\udfff", '"\\xed\\xbf\\xbf"'),
    ("\uffff", '"\\uffff"'),
    ("\U000e0001", '"\\U000e0001"'),
    ("\x07\x01\x7f", '"\\a\\x01\\x7f"'),
])
def test_go_quote_is_gos_strconv_quote(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted


def test_a_route_definition_error_gives_its_message_as_the_reason() -> None:
    with pytest.raises(RouteDefinitionError) as e:
        parse('r: Path("/a") && Path("/b") -> <shunt>;')
    assert (e.value.reason, e.value.route_id, e.value.position) == ("duplicate path tree predicate", "r", None)
    assert e.value.describe() == 'route "r": duplicate path tree predicate'


def test_a_predicate_list_of_only_a_comment_is_empty_and_a_lone_name_is_an_error() -> None:
    assert parse_predicates("// nothing here") == []
    with pytest.raises(ParseError):
        parse_predicates("Foo")


@pytest.mark.parametrize("endpoints", [
    ("http://a", "http://b/%41"),  # the plain form and the checked one agree on the scheme
    ("HTTP://a", "http://b/%41"),
    ("h2c://a/%41", "h2c://b"),
    ("*", "http://a"),  # "*" has no scheme to compare
    ("*", "*"),
])
def test_endpoints_with_the_same_scheme_mix(endpoints: tuple[str, ...]) -> None:
    text = ", ".join(f'"{e}"' for e in endpoints)
    assert parse(f"r: * -> <{text}>;")[0].backend.endpoints == endpoints


@pytest.mark.parametrize("endpoint, address, zone", [
    ("http://a?x=1", "http://a?x=1", ""),  # a query without a zone is left alone
    ("http://a?zone=z#%zz", "http://a?zone=z#%zz", ""),  # a fragment Go cannot parse: kept whole
    ("http://a?x=1?zone=z", "http://a?x=1?zone=z", ""),  # the query starts at the first "?"
    ("http://a?zone=a;b", "http://a?zone=a;b", ""),  # Go drops pairs with ";"
    ("http://a?x;y&zone=z", "http://a", "z"),  # ... and goes on with the rest
    ("http://a?zone=a=b", "http://a", "a=b"),  # the value is after the first "="
    ("http://a?x=%zz&zone=z&y=1", "http://a?y=1", "z"),  # a pair that does not unescape is dropped
    ("http://a?zone=z1&zone=z2", "http://a", "z1"),  # the first zone wins
])
def test_the_zone_of_an_lb_endpoint(endpoint: str, address: str, zone: str) -> None:
    backend = parse(f'r: * -> <"{endpoint}">;')[0].backend
    assert backend.endpoints == (address,)
    assert backend.zones == ((zone,) if zone else ())


@pytest.mark.parametrize("text, message", [
    ('r: * -> <roundRobin "http://a">', "parse failed after token http://a, last route id: r, position 30: syntax error"),
    ('r: * -> <"http://a" "http://b">', "parse failed after token http://b, last route id: r, position 30: syntax error"),
])
def test_lb_backend_syntax_errors_name_the_token_after_the_missing_comma(text: str, message: str) -> None:
    with pytest.raises(ParseError) as e:
        parse(text)
    assert str(e.value) == message
