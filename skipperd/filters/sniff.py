"""Content-type sniffing as Go's ``http.DetectContentType`` does it (WHATWG MIME sniffing).

Skipper's ``inlineContent`` without a mime type uses Go's function; routes moved from Skipper
must keep their content types, so the signature table below follows Go's ``net/http/sniff.go``
in order and in its rules: at most the first 512 bytes count, HTML signatures are matched after
leading whitespace, case-insensitively, and must be followed by a space or ``>``; whatever is
left is ``text/plain; charset=utf-8`` unless it holds a binary control byte.
"""

from __future__ import annotations

from typing import Callable

SNIFF_LEN = 512
_WS = b"\t\n\x0c\r "
_HTML = "text/html; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"
_OCTETS = "application/octet-stream"
_BINARY = frozenset(list(range(0x00, 0x09)) + [0x0B] + list(range(0x0E, 0x1B)) + list(range(0x1C, 0x20)))

Sig = Callable[[bytes, int], str]


def _html(tag: bytes) -> Sig:
    def match(data: bytes, ws: int) -> str:
        d = data[ws:]
        if len(d) < len(tag) + 1:
            return ""
        for i, b in enumerate(tag):
            db = d[i]
            if 0x41 <= b <= 0x5A:  # upper-case letters in the signature match either case
                db &= 0xDF
            if b != db:
                return ""
        return _HTML if d[len(tag)] in b" >" else ""
    return match


def _masked(mask: bytes, pat: bytes, ct: str, skip_ws: bool = False) -> Sig:
    def match(data: bytes, ws: int) -> str:
        d = data[ws:] if skip_ws else data
        if len(d) < len(pat):
            return ""
        for i, pb in enumerate(pat):
            if d[i] & mask[i] != pb:
                return ""
        return ct
    return match


def _exact(sig: bytes, ct: str) -> Sig:
    def match(data: bytes, ws: int) -> str:
        return ct if data.startswith(sig) else ""
    return match


def _mp4(data: bytes, ws: int) -> str:
    if len(data) < 12:
        return ""
    box = int.from_bytes(data[:4], "big")
    if len(data) < box or box % 4 != 0 or data[4:8] != b"ftyp":
        return ""
    for st in range(8, box, 4):
        if st == 12:  # the version of the major brand
            continue
        if data[st:st + 3] == b"mp4":
            return "video/mp4"
    return ""


def _text(data: bytes, ws: int) -> str:
    for b in data[ws:]:
        if b in _BINARY:
            return ""
    return _TEXT


_RIFF_MASK = b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF"

SIGNATURES: tuple[Sig, ...] = (
    *(_html(t) for t in (b"<!DOCTYPE HTML", b"<HTML", b"<HEAD", b"<SCRIPT", b"<IFRAME", b"<H1", b"<DIV",
                         b"<FONT", b"<TABLE", b"<A", b"<STYLE", b"<TITLE", b"<B", b"<BODY", b"<BR", b"<P",
                         b"<!--")),
    _masked(b"\xFF" * 5, b"<?xml", "text/xml; charset=utf-8", skip_ws=True),
    _exact(b"%PDF-", "application/pdf"),
    _exact(b"%!PS-Adobe-", "application/postscript"),
    _masked(b"\xFF\xFF\x00\x00", b"\xFE\xFF\x00\x00", "text/plain; charset=utf-16be"),
    _masked(b"\xFF\xFF\x00\x00", b"\xFF\xFE\x00\x00", "text/plain; charset=utf-16le"),
    _masked(b"\xFF\xFF\xFF\x00", b"\xEF\xBB\xBF\x00", "text/plain; charset=utf-8"),
    _exact(b"\x00\x00\x01\x00", "image/x-icon"),
    _exact(b"\x00\x00\x02\x00", "image/x-icon"),
    _exact(b"BM", "image/bmp"),
    _exact(b"GIF87a", "image/gif"),
    _exact(b"GIF89a", "image/gif"),
    _masked(_RIFF_MASK + b"\xFF\xFF", b"RIFF\x00\x00\x00\x00WEBPVP", "image/webp"),
    _exact(b"\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
    _exact(b"\xFF\xD8\xFF", "image/jpeg"),
    _masked(_RIFF_MASK, b"FORM\x00\x00\x00\x00AIFF", "audio/aiff"),
    _masked(b"\xFF\xFF\xFF", b"ID3", "audio/mpeg"),
    _masked(b"\xFF" * 5, b"OggS\x00", "application/ogg"),
    _masked(b"\xFF" * 8, b"MThd\x00\x00\x00\x06", "audio/midi"),
    _masked(_RIFF_MASK, b"RIFF\x00\x00\x00\x00AVI ", "video/avi"),
    _masked(_RIFF_MASK, b"RIFF\x00\x00\x00\x00WAVE", "audio/wave"),
    _mp4,
    _exact(b"\x1A\x45\xDF\xA3", "video/webm"),
    _masked(b"\x00" * 34 + b"\xFF\xFF", b"\x00" * 34 + b"LP", "application/vnd.ms-fontobject"),
    _exact(b"\x00\x01\x00\x00", "font/ttf"),
    _exact(b"OTTO", "font/otf"),
    _exact(b"ttcf", "font/collection"),
    _exact(b"wOFF", "font/woff"),
    _exact(b"wOF2", "font/woff2"),
    _exact(b"\x1F\x8B\x08", "application/x-gzip"),
    _exact(b"PK\x03\x04", "application/zip"),
    _exact(b"Rar!\x1A\x07\x00", "application/x-rar-compressed"),
    _exact(b"Rar!\x1A\x07\x01\x00", "application/x-rar-compressed"),
    _exact(b"\x00\x61\x73\x6D", "application/wasm"),
    _text,
)


def detect_content_type(data: bytes) -> str:
    """The content type of ``data``; ``application/octet-stream`` when nothing matches."""
    data = data[:SNIFF_LEN]
    ws = 0
    while ws < len(data) and data[ws] in _WS:
        ws += 1
    for sig in SIGNATURES:
        ct = sig(data, ws)
        if ct:
            return ct
    return _OCTETS
