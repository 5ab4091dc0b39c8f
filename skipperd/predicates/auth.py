"""Predicates on credentials: HeaderSHA256 and the JWTPayload family.

``HeaderSHA256(name, hash, ...)`` matches when the SHA-256 of the header's (first) value is one
of the hex-encoded hashes: a pre-shared secret that the route file does not reveal, several
hashes during a rotation.

``JWTPayloadAnyKV(k, v, ...)``, ``JWTPayloadAllKV``, and their ``Regexp`` forms read the payload
of a bearer token (``Authorization: Bearer <header>.<payload>.<signature>``; base64url without
padding, a JSON object) without verifying it, and compare string claims: Any matches when one
pair does, All when every pair does (a key given twice must satisfy both values). A claim that is
not a string never matches. Decoding a token costs a JSON parse, so each instance remembers its
answer per ``Authorization`` value, in a bounded map that is cleared when full (Skipper clears
its unbounded map hourly).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any, Callable

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.http.request import Request
from skipperd.params import STRING, Param, check
from skipperd.regexp import compile_re2

CACHE_SIZE = 1024


class HeaderSHA256Predicate:
    __slots__ = ("name", "hashes")

    def __init__(self, name: str, hashes: frozenset[bytes]) -> None:
        self.name = name
        self.hashes = hashes

    def match(self, request: Request) -> bool:
        value = request.headers.get(self.name)
        if not value:
            return False
        try:
            data = value.encode("latin-1")
        except UnicodeEncodeError:
            data = value.encode("utf-8")
        return hashlib.sha256(data).digest() in self.hashes


class HeaderSHA256Spec:
    name = names.HEADER_SHA256
    summary = "the SHA-256 of a header's value is one of the given hex hashes (pre-shared secrets)"
    params = (Param("name", STRING, "header name"),
              Param("hash", STRING, "hex-encoded SHA-256 of an accepted value", variadic=True))

    def create(self, args: tuple[Arg, ...]) -> HeaderSHA256Predicate:
        check(self.name, self.params, args)
        hashes: set[bytes] = set()
        for a in args[1:]:
            try:
                h = bytes.fromhex(str(a)) if all(c in "0123456789abcdefABCDEF" for c in str(a)) else b""
            except ValueError:
                h = b""
            if len(h) != hashlib.sha256().digest_size:
                raise InvalidArguments(self.name, f"{a!r} is not a hex-encoded SHA-256 hash (64 hex digits)")
            hashes.add(h)
        return HeaderSHA256Predicate(str(args[0]), frozenset(hashes))


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT as a dict, or None when it is not one (no signature check)."""
    parts = token.split(".", 3)
    if len(parts) != 3:
        return None
    payload = parts[1]
    if "=" in payload:  # RawURLEncoding: no padding
        return None
    try:
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        if base64.urlsafe_b64encode(data).rstrip(b"=") != payload.encode("ascii"):
            return None  # characters outside the alphabet, silently skipped by the decoder
        claims = json.loads(data)
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None


Matcher = Callable[[str], bool]


def _all(expected: dict[str, list[Matcher]], claims: dict[str, Any]) -> bool:
    if len(expected) > len(claims):
        return False
    for key, matchers in expected.items():
        value = claims.get(key)
        if not isinstance(value, str):
            return False
        for m in matchers:
            if not m(value):
                return False
    return True


def _any(expected: dict[str, list[Matcher]], claims: dict[str, Any]) -> bool:
    for key, matchers in expected.items():
        value = claims.get(key)
        if isinstance(value, str):
            for m in matchers:
                if m(value):
                    return True
    return False


class JWTPayloadPredicate:
    __slots__ = ("expected", "decide", "cache")

    def __init__(self, expected: dict[str, list[Matcher]], match_all: bool) -> None:
        self.expected = expected
        self.decide = _all if match_all else _any
        self.cache: dict[str, bool] = {}

    def match(self, request: Request) -> bool:
        auth = request.headers.get("authorization")
        if not auth or not auth.startswith("Bearer "):
            return False
        cached = self.cache.get(auth)
        if cached is not None:
            return cached
        claims = jwt_claims(auth[7:])
        result = claims is not None and self.decide(self.expected, claims)
        if len(self.cache) >= CACHE_SIZE:
            self.cache.clear()
        self.cache[auth] = result
        return result


class _JWTSpec:
    name = ""
    summary = ""
    params = (Param("key", STRING, "a claim"), Param("value", STRING, "its value", variadic=True))
    match_all = False
    regexp = False

    def create(self, args: tuple[Arg, ...]) -> JWTPayloadPredicate:
        check(self.name, self.params, args)
        if len(args) % 2:
            raise InvalidArguments(self.name, "expects key and value pairs, got an odd number of arguments")
        expected: dict[str, list[Matcher]] = {}
        for i in range(0, len(args), 2):
            key, value = str(args[i]), str(args[i + 1])
            if self.regexp:
                m: Matcher = compile_re2(self.name, value).matches
            else:
                m = value.__eq__
            expected.setdefault(key, []).append(m)
        return JWTPayloadPredicate(expected, self.match_all)


class JWTPayloadAnyKVSpec(_JWTSpec):
    name = names.JWT_PAYLOAD_ANY_KV
    summary = "one of the key/value pairs is a string claim of the bearer JWT's payload (not verified)"


class JWTPayloadAllKVSpec(_JWTSpec):
    name = names.JWT_PAYLOAD_ALL_KV
    summary = "every key/value pair is a string claim of the bearer JWT's payload (not verified)"
    match_all = True


class JWTPayloadAnyKVRegexpSpec(_JWTSpec):
    name = names.JWT_PAYLOAD_ANY_KV_REGEXP
    summary = "as JWTPayloadAnyKV, the values are regexps"
    params = (Param("key", STRING, "a claim"), Param("regexp", STRING, "what its value must match", variadic=True))
    regexp = True


class JWTPayloadAllKVRegexpSpec(_JWTSpec):
    name = names.JWT_PAYLOAD_ALL_KV_REGEXP
    summary = "as JWTPayloadAllKV, the values are regexps"
    params = (Param("key", STRING, "a claim"), Param("regexp", STRING, "what its value must match", variadic=True))
    match_all = True
    regexp = True
