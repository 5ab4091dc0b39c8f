"""Header value encodings: base64 (whole value or one space-separated part) and Go's charmaps.

``encodeBase64RequestHeader(name[, part])`` and ``decodeBase64RequestHeader(name[, part])`` (and
their response forms) rewrite a header's value; with ``part`` only that field of the value
(split on spaces, as Go's ``strings.Fields``) is coded, so ``decodeBase64RequestHeader(
"Authorization", 1)`` decodes the credentials of ``Basic <b64>``. A value that does not decode,
or a part index out of range, leaves the header as it was (Skipper logs a warning); a decoded
value holding CR, LF or NUL is not set.

``encodeRequestHeader(name, charmap)`` re-encodes the UTF-8 value into one of the charmaps of
Go's ``golang.org/x/text/encoding/charmap`` that Skipper lists; a value that cannot be encoded
becomes empty, as documented. Header values are kept as Latin-1 text of their bytes (how the
connection decodes them), so the encoded bytes travel unchanged.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import encodings.cp037
import logging
from typing import Any, Callable

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.header_ops import NAME, header_name
from skipperd.filters.spec import Spec
from skipperd.filters.values import header_value_ok
from skipperd.http.context import FilterContext
from skipperd.params import INT, STRING, Param

log = logging.getLogger("skipperd.filters")


def _bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # set by a filter beyond Latin-1: sent as UTF-8
        return value.encode("utf-8")


def _b64_encode(text: str) -> str:
    return base64.b64encode(_bytes(text)).decode("ascii")


def _b64_decode(text: str) -> str:
    # Go's StdEncoding: padded, standard alphabet, nothing else (validate=True refuses the rest).
    return base64.b64decode(text.encode("latin-1", "replace"), validate=True).decode("latin-1")


def code_value(value: str, part: int | None, fn: Callable[[str], str]) -> str:
    """``fn`` applied to the value or to its field ``part``; raises ValueError when it cannot."""
    if part is None:
        return fn(value)
    fields = value.split()
    if not 0 <= part < len(fields):
        raise ValueError(f"part index {part} out of range (header has {len(fields)} parts)")
    fields[part] = fn(fields[part])
    return " ".join(fields)


class Base64Header:
    __slots__ = ("name", "lower", "part", "fn", "what")

    def __init__(self, name: str, part: int | None, decode: bool) -> None:
        self.name = name
        self.lower = name.lower()
        self.part = part
        self.fn = _b64_decode if decode else _b64_encode
        self.what = "decodeBase64" if decode else "encodeBase64"

    def apply(self, headers: Any) -> None:
        value = headers.get(self.name)
        if not value:
            return
        try:
            coded = code_value(value, self.part, self.fn)
        except (ValueError, binascii.Error, UnicodeError) as e:
            log.warning("%s filter error for header %s: %s", self.what, self.name, e)
            return
        if header_value_ok(coded):
            headers.set_field(self.lower, self.name, coded)


class Base64RequestHeader(Base64Header):
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        self.apply(ctx.request.headers)


class Base64ResponseHeader(Base64Header):
    __slots__ = ()

    def response(self, ctx: FilterContext) -> None:
        if ctx.response is not None:
            self.apply(ctx.response.headers)


_PART = Param("part", INT, "index of the space-separated part to code; the whole value when left out",
              optional=True)


class _Base64Spec(Spec):
    params = (NAME, _PART)
    decode = False
    response = False

    def make(self, args: tuple[Arg, ...]) -> Any:
        name = header_name(self.name, args[0])
        part = int(args[1]) if len(args) == 2 else None
        cls = Base64ResponseHeader if self.response else Base64RequestHeader
        return cls(name, part, self.decode)


class EncodeBase64RequestHeaderSpec(_Base64Spec):
    name = names.ENCODE_BASE64_REQUEST_HEADER
    summary = "base64-encodes a request header's value, or one space-separated part of it"


class EncodeBase64ResponseHeaderSpec(_Base64Spec):
    name = names.ENCODE_BASE64_RESPONSE_HEADER
    summary = "base64-encodes a response header's value, or one space-separated part of it"
    response = True


class DecodeBase64RequestHeaderSpec(_Base64Spec):
    name = names.DECODE_BASE64_REQUEST_HEADER
    summary = "base64-decodes a request header's value, or one space-separated part of it"
    decode = True


class DecodeBase64ResponseHeaderSpec(_Base64Spec):
    name = names.DECODE_BASE64_RESPONSE_HEADER
    summary = "base64-decodes a response header's value, or one space-separated part of it"
    decode = True
    response = True


# --- charmaps -------------------------------------------------------------------------------------

def _cp1047() -> Callable[[str], bytes]:
    """IBM 1047 (Latin-1 EBCDIC, as z/OS uses it): code page 037 with six positions moved."""
    table = list(encodings.cp037.decoding_table)
    for a, b in ((0x5F, 0xB0), (0xAD, 0xBA), (0xBB, 0xBD)):
        table[a], table[b] = table[b], table[a]
    encoding = codecs.charmap_build("".join(table))
    return lambda text: codecs.charmap_encode(text, "strict", encoding)[0]


#: Skipper's charmap names and Python's codecs for them.
CHARMAPS: dict[str, str] = {
    "CodePage037": "cp037", "CodePage1047": "cp1047", "CodePage1140": "cp1140",
    "CodePage437": "cp437", "CodePage850": "cp850", "CodePage852": "cp852", "CodePage855": "cp855",
    "CodePage858": "cp858", "CodePage860": "cp860", "CodePage862": "cp862", "CodePage863": "cp863",
    "CodePage865": "cp865", "CodePage866": "cp866",
    "ISO8859_1": "iso8859_1", "ISO8859_10": "iso8859_10", "ISO8859_13": "iso8859_13",
    "ISO8859_14": "iso8859_14", "ISO8859_15": "iso8859_15", "ISO8859_16": "iso8859_16",
    "ISO8859_2": "iso8859_2", "ISO8859_3": "iso8859_3", "ISO8859_4": "iso8859_4",
    "ISO8859_5": "iso8859_5", "ISO8859_6": "iso8859_6", "ISO8859_7": "iso8859_7",
    "ISO8859_8": "iso8859_8", "ISO8859_9": "iso8859_9",
    "KOI8R": "koi8_r", "KOI8U": "koi8_u", "Macintosh": "mac_roman", "MacintoshCyrillic": "mac_cyrillic",
    "Windows1250": "cp1250", "Windows1251": "cp1251", "Windows1252": "cp1252", "Windows1253": "cp1253",
    "Windows1254": "cp1254", "Windows1255": "cp1255", "Windows1256": "cp1256", "Windows1257": "cp1257",
    "Windows1258": "cp1258", "Windows874": "cp874",
}


def charmap_encoder(name: str) -> Callable[[str], bytes]:
    if name == "CodePage1047":
        return _cp1047()
    enc = codecs.lookup(CHARMAPS[name]).encode
    return lambda text: enc(text)[0]


def encode_value(value: str, encode: Callable[[str], bytes]) -> str:
    """The UTF-8 text of the value in the charmap, as Latin-1 text of its bytes; "" when it cannot."""
    try:
        return encode(_bytes(value).decode("utf-8")).decode("latin-1")
    except UnicodeError:
        return ""


class EncodeHeader:
    __slots__ = ("name", "lower", "encode")

    def __init__(self, name: str, charmap: str) -> None:
        self.name = name
        self.lower = name.lower()
        self.encode = charmap_encoder(charmap)

    def apply(self, headers: Any) -> None:
        value = headers.get(self.name)
        if value:
            coded = encode_value(value, self.encode)
            if header_value_ok(coded):
                headers.set_field(self.lower, self.name, coded)


class EncodeRequestHeader(EncodeHeader):
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        self.apply(ctx.request.headers)


class EncodeResponseHeader(EncodeHeader):
    __slots__ = ()

    def response(self, ctx: FilterContext) -> None:
        if ctx.response is not None:
            self.apply(ctx.response.headers)


class _EncodeSpec(Spec):
    params = (NAME, Param("encoding", STRING, "a charmap name of Go's x/text: Windows1252, ISO8859_1, "
                                               "CodePage037, KOI8R, Macintosh, ..."))
    response = False

    def make(self, args: tuple[Arg, ...]) -> Any:
        name = header_name(self.name, args[0])
        charmap = str(args[1])
        if charmap not in CHARMAPS:
            raise InvalidArguments(self.name, f"unknown encoding {charmap!r}, expected one of "
                                   f"{', '.join(sorted(CHARMAPS))}")
        return EncodeResponseHeader(name, charmap) if self.response else EncodeRequestHeader(name, charmap)


class EncodeRequestHeaderSpec(_EncodeSpec):
    name = names.ENCODE_REQUEST_HEADER
    summary = "re-encodes a request header's UTF-8 value into a charmap (empty when it cannot)"


class EncodeResponseHeaderSpec(_EncodeSpec):
    name = names.ENCODE_RESPONSE_HEADER
    summary = "re-encodes a response header's UTF-8 value into a charmap (empty when it cannot)"
    response = True
