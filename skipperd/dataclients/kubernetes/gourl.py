"""Go's ``net/url.Parse`` for the parts the converter looks at: scheme, host, path, query, errors.

RouteGroup validation refuses a network backend whose address Go cannot parse (with Go's error
text) or that is not ``scheme://host``; the allow list of external names matches Go's
``URL.Hostname()``. Python's ``urllib.parse`` is laxer and words its errors differently.
"""

from __future__ import annotations

from dataclasses import dataclass

from skipperd.dataclients.kubernetes.model import go_quote

_HOST_OK = set("-_.~!$&'()*+,;=:[]<>\"")


class URLError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class GoURL:
    scheme: str = ""
    opaque: str = ""
    host: str = ""  # with the port, without user info
    path: str = ""
    raw_query: str = ""

    @property
    def hostname(self) -> str:
        h = self.host
        if h.startswith("["):
            end = h.find("]")
            return h[1:end] if end >= 0 else h[1:]
        i = h.rfind(":")
        return h[:i] if i >= 0 else h


def _unescape(s: str, host: bool) -> str:
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "%":
            hexa = s[i + 1:i + 3]
            if len(hexa) < 2 or any(h not in "0123456789abcdefABCDEF" for h in hexa):
                raise URLError(f"invalid URL escape {go_quote(s[i:i + 3])}")
            out.append(chr(int(hexa, 16)))
            i += 3
            continue
        if host and ord(c) < 0x80 and not (c.isalnum() or c in _HOST_OK):
            raise URLError(f"invalid character {go_quote(c)} in host name")
        out.append(c)
        i += 1
    return "".join(out)


def _valid_optional_port(port: str) -> bool:
    if port == "":
        return True
    return port[0] == ":" and all("0" <= c <= "9" for c in port[1:])


def _parse_host(host: str) -> str:
    if host.startswith("["):
        i = host.rfind("]")
        if i < 0:
            raise URLError("missing ']' in host")
        if not _valid_optional_port(host[i + 1:]):
            raise URLError(f"invalid port {go_quote(host[i + 1:])} after host")
    else:
        i = host.rfind(":")
        if i >= 0 and not _valid_optional_port(host[i:]):
            raise URLError(f"invalid port {go_quote(host[i:])} after host")
    return _unescape(host, True)


def _scheme(raw: str) -> tuple[str, str]:
    for i, c in enumerate(raw):
        if "a" <= c.lower() <= "z":
            continue
        if c.isdigit() or c in "+-.":
            if i == 0:
                return "", raw
            continue
        if c == ":":
            if i == 0:
                raise URLError("missing protocol scheme")
            return raw[:i].lower(), raw[i + 1:]
        return "", raw
    return "", raw


def parse(raw: str) -> GoURL:
    """Raises ``URLError`` with Go's text: ``parse "<url>": <reason>``."""
    url, _, _ = raw.partition("#")
    try:
        return _parse(url)
    except URLError as e:
        raise URLError(f"parse {go_quote(url)}: {e}") from None


def _parse(raw: str) -> GoURL:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise URLError("net/url: invalid control character in URL")
    scheme, rest = _scheme(raw)
    rest, _, query = rest.partition("?")  # (Go's ForceQuery, a lone "?" at the end, reads the same)
    if not rest.startswith("/"):
        if scheme:
            return GoURL(scheme=scheme, opaque=rest, raw_query=query)
        segment = rest.partition("/")[0]
        if ":" in segment:
            raise URLError("first path segment in URL cannot contain colon")
    host = ""
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
        # The user info ends at the last "@"; it cannot hold "/", "?" or "#" (split off above).
        host = _parse_host(authority.rpartition("@")[2])
    return GoURL(scheme=scheme, host=host, path=_unescape(rest, False), raw_query=query)
