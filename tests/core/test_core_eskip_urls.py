"""LB endpoints are checked as Go's url.ParseRequestURI checks them (skipperd.eskip.parser).

The cases mutation testing showed unchecked: IPv6 literals with zones, ports, userinfo. Each
invalid endpoint fails its route with Go's own words, quoted as Skipper quotes them.
"""

from __future__ import annotations

import pytest

from skipperd.eskip import parse
from skipperd.eskip.parser import ParseError, query_escape


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
