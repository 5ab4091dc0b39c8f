"""``sed``, ``sedDelim``, ``sedRequest``, ``sedRequestDelim``: regexp replacement in streamed bodies.

As Skipper's stream editor: every match of the pattern (RE2) is replaced by the replacement,
taken literally; matches of zero length are ignored. Without a delimiter, text after the last
complete match is kept back until more arrives (a match may continue in the next piece), up to
the max buffer size (2 MiB by default): past it, ``"best-effort"`` (the default) edits what is
held and sends it on, ``"abort"`` cuts the body off. With a delimiter, the body is edited one
delimited piece at a time and matches never span pieces. The body's length becomes unknown, so
it is sent chunked.

``sed(pattern, replacement[, maxBuffer[, "abort"|"best-effort"]])``,
``sedDelim(pattern, replacement, delimiter[, maxBuffer[, handling]])``; the request forms edit the
request body on its way to the backend.
"""

from __future__ import annotations

from typing import Any

from skipperd import names
from skipperd.errors import InvalidArguments
from skipperd.eskip.route import Arg
from skipperd.filters.spec import Spec
from skipperd.http.body import BodyError
from skipperd.http.context import FilterContext
from skipperd.params import INT, REGEXP, STRING, Param
from skipperd.regexp import Regexp, compile_re2

MAX_BUFFER = 2 * 1024 * 1024
BEST_EFFORT = "best-effort"
ABORT = "abort"


class Editor:
    """A ``Transform`` (``skipperd.http.body``) doing one body's edits."""

    __slots__ = ("rx", "replacement", "delimiter", "max_buffer", "abort", "pending", "held_match")

    def __init__(self, rx: Regexp, replacement: bytes, delimiter: bytes, max_buffer: int, abort: bool) -> None:
        self.rx = rx
        self.replacement = replacement
        self.delimiter = delimiter
        self.max_buffer = max_buffer
        self.abort = abort
        self.pending = b""
        self.held_match = False

    def _edit(self, data: bytes, keep_last: bool) -> tuple[bytes, int, bool]:
        """Edited output, how much of ``data`` it consumed, and whether a match reaching the end
        of ``data`` was kept back (``keep_last``)."""
        out: list[bytes] = []
        pos = 0
        n = len(data)
        while pos < n:
            s, e = self.rx.find_bytes(data, pos)
            if s < 0:
                if keep_last:
                    return b"".join(out), pos, False
                out.append(data[pos:])
                return b"".join(out), n, False
            out.append(data[pos:s])
            if s == e:  # zero-length: ignored, the rest is kept or sent as it is
                if keep_last:
                    return b"".join(out), s, False
                out.append(data[s:])
                return b"".join(out), n, False
            if keep_last and e == n:
                return b"".join(out), s, True
            out.append(self.replacement)
            pos = e
        return b"".join(out), pos, False

    def feed(self, data: bytes) -> bytes:
        self.pending += data
        if self.delimiter:
            out: list[bytes] = []
            while True:
                end = self.pending.find(self.delimiter)
                if end < 0:
                    break
                cut = end + len(self.delimiter)
                edited, _, _ = self._edit(self.pending[:cut], False)
                out.append(edited)
                self.pending = self.pending[cut:]
            result = b"".join(out)
        else:
            result, consumed, self.held_match = self._edit(self.pending, True)
            self.pending = self.pending[consumed:]
        if len(self.pending) > self.max_buffer:
            if self.abort:
                raise BodyError("sed: the editor buffer is full")
            edited, _, _ = self._edit(self.pending, False)
            self.pending = b""
            self.held_match = False
            result += edited
        return result

    def flush(self) -> bytes:
        data, self.pending = self.pending, b""
        if self.held_match and not self.delimiter:
            # The kept-back match ran to the end of the body: it is complete.
            head, _, _ = self._edit(data, True)
            return head + self.replacement
        edited, _, _ = self._edit(data, False)
        return edited


class Sed:
    __slots__ = ("rx", "replacement", "delimiter", "max_buffer", "abort")

    def __init__(self, rx: Regexp, replacement: str, delimiter: str, max_buffer: int, abort: bool) -> None:
        self.rx = rx
        self.replacement = replacement.encode("utf-8")
        self.delimiter = delimiter.encode("utf-8")
        self.max_buffer = max_buffer
        self.abort = abort

    def editor(self) -> Editor:
        return Editor(self.rx, self.replacement, self.delimiter, self.max_buffer, self.abort)


class SedResponse(Sed):
    __slots__ = ()

    def response(self, ctx: FilterContext) -> None:
        if ctx.response is not None:
            ctx.response.headers.remove("Content-Length")
            ctx.wrap_response_body(self.editor())


class SedRequest(Sed):
    __slots__ = ()

    def request(self, ctx: FilterContext) -> None:
        if ctx.request_body is not None:
            ctx.request.headers.remove("Content-Length")
            ctx.wrap_request_body(self.editor())


class SedSpec(Spec):
    name = names.SED
    summary = "replaces every match of a regexp in the response body, streaming"
    params: tuple[Param, ...] = (Param("pattern", REGEXP, "what to replace (RE2)"),
              Param("replacement", STRING, "what to put instead, literally"),
              Param("maxBuffer", INT, "bytes the editor may hold (2 MiB)", optional=True),
              Param("handling", STRING, "when the buffer is full", optional=True, choices=(BEST_EFFORT, ABORT)))
    delimited = False
    kind: type[Sed] = SedResponse

    def make(self, args: tuple[Arg, ...]) -> Any:
        rx = compile_re2(self.name, str(args[0]), capture=True)
        rest = list(args[2:])
        delimiter = ""
        if self.delimited:
            delimiter = str(rest.pop(0))
            if not delimiter:
                raise InvalidArguments(self.name, "the delimiter cannot be empty")
        max_buffer = MAX_BUFFER
        abort = False
        if rest:
            v = rest.pop(0)
            if isinstance(v, str):
                raise InvalidArguments(self.name, f"the max buffer size must be a number, got {v!r}")
            if int(v) > 0:
                max_buffer = int(v)
        if rest:
            abort = rest.pop(0) == ABORT
        return self.kind(rx, str(args[1]), delimiter, max_buffer, abort)


class SedDelimSpec(SedSpec):
    name = names.SED_DELIM
    summary = "sed, edited one delimited piece of the response body at a time"
    params = (SedSpec.params[0], SedSpec.params[1], Param("delimiter", STRING, "ends a piece, e.g. \"\\n\""),
              SedSpec.params[2], SedSpec.params[3])
    delimited = True


class SedRequestSpec(SedSpec):
    name = names.SED_REQUEST
    summary = "sed on the request body"
    kind = SedRequest


class SedRequestDelimSpec(SedDelimSpec):
    name = names.SED_REQUEST_DELIM
    summary = "sedDelim on the request body"
    kind = SedRequest
