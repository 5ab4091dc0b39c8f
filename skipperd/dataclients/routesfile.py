"""An eskip routes file (``-routes-file``), watched for changes (Skipper's ``eskipfile``).

The supervisor asks ``changed()`` every 250 ms, so the check is a ``stat()`` in the common case:
the file's identity, size and times are compared with what ``load()`` saw last, and only when
they differ is the content read and hashed (a ``touch`` or a rewrite with the same text is no
change). A file modified within the last ``RACY_WINDOW`` seconds is hashed on every check, since
a second write inside one timestamp tick may keep size and mtime ("racily clean", as git calls
it). Editors that replace the file by a rename and writers that rewrite it in place are both
seen.

Parsing is incremental (``eskip.incremental``): a definition whose text did not change comes
back as the same ``Route`` object without being parsed again, so a one-route edit of a file of
10,000 routes costs one definition's parse, and the supervisor's per-route caches hit for the
rest.

A document that does not parse fails as a whole (Skipper's parser rejects the whole document on
a syntax error): ``load()`` raises ``SourceError`` and the supervisor keeps the file's last good
routes. A route that parses but is invalid (unknown filter, bad arguments) is the supervisor's
business: it drops that route alone.
"""

from __future__ import annotations

import hashlib
import os
import time

from skipperd.dataclients.base import SourceError
from skipperd.eskip import ParseError
from skipperd.eskip.incremental import DocumentParser
from skipperd.eskip.route import Route

RACY_WINDOW = 2.0  # seconds

_StatKey = tuple[int, int, int, int, int]
_MISSING = b"<missing>"  # the digest of a file that could not be read


class RoutesFile:
    def __init__(self, path: str) -> None:
        self.path = path
        self.name = f"routes file {path}"
        self._key: _StatKey | None = None  # stat of what load() saw last
        self._digest: bytes | None = None  # content hash of what load() saw last; None: never loaded
        self._pending: tuple[_StatKey | None, bytes | None, str] | None = None  # read by changed()
        self._parser = DocumentParser()  # unchanged definitions are not parsed again

    def changed(self) -> bool:
        if self._digest is None:
            return True
        key, err = self._stat()
        if key == self._key and (key is None or not self._racy(key)):
            return False
        content, err = self._read(err)
        digest = _MISSING if content is None else _hash(content)
        if digest == self._digest:
            self._key = key
            return False
        self._pending = (key, content, err)
        return True

    def load(self) -> list[Route]:
        if self._pending is not None:
            key, content, err = self._pending
            self._pending = None
        else:
            key, err = self._stat()
            content, err = self._read(err)
        self._key = key
        self._digest = _MISSING if content is None else _hash(content)
        if content is None:
            raise SourceError(self.name, err)
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SourceError(self.name, f"not UTF-8 text: {e}") from None
        try:
            return self._parser.parse(content)
        except ParseError as e:
            raise SourceError(self.name, str(e)) from None

    # The stat comes before the read: a write in between shows as a changed stat next time.
    def _stat(self) -> tuple[_StatKey | None, str]:
        try:
            st = os.stat(self.path)
        except OSError as e:
            return None, e.strerror or str(e)
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns), ""

    def _read(self, err: str) -> tuple[bytes | None, str]:
        try:
            with open(self.path, "rb") as f:
                return f.read(), ""
        except OSError as e:
            return None, e.strerror or str(e) or err

    @staticmethod
    def _racy(key: _StatKey) -> bool:
        return time.time_ns() - max(key[3], key[4]) < RACY_WINDOW * 1e9


def _hash(content: bytes) -> bytes:
    return hashlib.blake2b(content, digest_size=16).digest()
