"""Go's url.Parse as the Kubernetes converter uses it (skipperd.dataclients.kubernetes.gourl):
the cases mutation testing showed unchecked (schemes, escapes, ports, the bare "*")."""

from __future__ import annotations

import pytest

from skipperd.dataclients.kubernetes import gourl


@pytest.mark.parametrize("raw, scheme, host, hostname, path, query", [
    ("zz://h", "zz", "h", "h", "", ""),
    ("h2c://h", "h2c", "h", "h", "", ""),
    ("git+ssh://h", "git+ssh", "h", "h", "", ""),
    ("a/b", "", "", "", "a/b", ""),
    ("abc", "", "", "", "abc", ""),
    ("*", "", "", "", "*", ""),
    ("http://a/p?", "http", "a", "a", "/p", ""),
    ("http://a/p?x?y", "http", "a", "a", "/p", "x?y"),
    ("http://a/%41b%4a%4A", "http", "a", "a", "/AbJJ", ""),
    ("http://a\x80b/", "http", "a\x80b", "a\x80b", "/", ""),  # bytes past ASCII are left to the host
    ("http://[::1]/", "http", "[::1]", "::1", "/", ""),
    ("http://[::1]:9", "http", "[::1]:9", "::1", "", ""),
    ("http://a:1:9", "http", "a:1:9", "a:1", "", ""),  # the port is after the last ":"
    ("http://u@v@h/", "http", "h", "h", "/", ""),  # the user info ends at the last "@"
    ("//h/p", "", "h", "h", "/p", ""),
    ("///p", "", "", "", "///p", ""),
    ("a/b:c", "", "", "", "a/b:c", ""),  # a colon after the first segment
])
def test_go_url_parse_parts(raw: str, scheme: str, host: str, hostname: str, path: str, query: str) -> None:
    u = gourl.parse(raw)
    assert (u.scheme, u.host, u.hostname, u.path, u.raw_query) == (scheme, host, hostname, path, query)


def test_an_opaque_url_keeps_its_opaque_part_and_query() -> None:
    u = gourl.parse("mailto:x@y?subject=hi")
    assert (u.scheme, u.opaque, u.host, u.path, u.raw_query) == ("mailto", "x@y", "", "", "subject=hi")


@pytest.mark.parametrize("raw, reason", [
    ("a_b:x", "first path segment in URL cannot contain colon"),  # "_" cannot be in a scheme
    ("a[b:x", "first path segment in URL cannot contain colon"),
    ("http://a/\x7f", "net/url: invalid control character in URL"),
    ("http://a/%4X", 'invalid URL escape "%4X"'),
    ("http://a/%zzz", 'invalid URL escape "%zz"'),
    ("http://a/%4", 'invalid URL escape "%4"'),
    ("http://[::1]x", 'invalid port "x" after host'),
    ("http://[::1]:8A", 'invalid port ":8A" after host'),
    ("http://a:8A", 'invalid port ":8A" after host'),
    ("http://:x", 'invalid port ":x" after host'),
])
def test_go_url_parse_errors_in_gos_words(raw: str, reason: str) -> None:
    with pytest.raises(gourl.URLError) as e:
        gourl.parse(raw)
    assert str(e.value) == f"parse {gourl.go_quote(raw)}: {reason}"
