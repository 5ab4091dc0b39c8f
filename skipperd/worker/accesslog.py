"""The access log: one line per answered request, formatted cheaply and written in batches.

Skipper's format (its default), or JSON lines with ``-access-log-json-enabled``::

    127.0.0.1 - - [26/Nov/2026:18:00:00 +0000] "GET /path?q HTTP/1.1" 200 18 "-" "curl/8" 3 host - -

(client, authenticated user, request time, request line as received, status, response body
bytes, referer, user agent, duration in ms, request host, flow id, unverified audit value.) An
empty field is ``-``, as in Skipper. Everything a client controls is escaped: ``"`` and ``\\``
get a backslash, and any byte outside printable ASCII becomes ``\\xHH``, so no request can end
a line early or forge one; JSON lines are escaped as JSON.

Lines go into a list in memory; ``flush()`` writes them with as few ``write`` calls as it can
and runs every ``FLUSH_INTERVAL`` seconds (the worker's flusher greenlet), when ``MAX_PENDING``
lines are waiting, and when the worker stops (SIGTERM, SIGHUP's rotation, and at exit), so
nothing is lost to a graceful stop. To a pipe (stdout under systemd) each ``write`` carries
whole lines and at most ``PIPE_BUF`` bytes, which POSIX makes atomic: the lines of several
workers never mix. To a file (``-access-log``, opened with ``O_APPEND``) one ``write`` takes the
whole batch.

Per route, the filters ``enableAccessLog``/``disableAccessLog`` (with status-code prefixes) and
``maskAccessLogQuery`` override ``-access-log-disabled`` through the request's state bag, as in
Skipper (``accesslog_control``).
"""

from __future__ import annotations

import json
import os
import stat
import time
import hashlib
from typing import Any
from urllib.parse import parse_qsl, urlencode

from skipperd.config import Settings
from skipperd.filters.accesslog import ADDITIONAL_KEY, CONTROL_KEY, AUTH_USER_KEY, MASKED_QUERY, should_log

FLUSH_INTERVAL = 0.1
MAX_PENDING = 1024
PIPE_BUF = 4096
AUDIT_HEADER = "X-Unverified-Audit"

_FIELDS = {"referer": 0, "user-agent": 1, "x-flow-id": 2, "x-unverified-audit": 3, "x-forwarded-for": 4}
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def escape(s: str) -> str:
    """``s`` safe inside a quoted field of one log line; ``-`` when empty."""
    if not s:
        return "-"
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return s
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        elif o < 0x100:
            out.append(f"\\x{o:02x}")
        else:  # a filter may have put text beyond Latin-1 in: its UTF-8 bytes
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8"))
    return "".join(out)


def _json_str(s: str) -> str:
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    return json.dumps(s)


def _remote_host(xff: str) -> str:
    """Skipper's remoteHost when X-Forwarded-For is present: its addresses that parse."""
    import ipaddress

    got = []
    for part in xff.split(", "):
        p = part.strip()
        if p.startswith("[") and "]" in p:
            p = p[1:p.index("]")]
        elif p.count(":") == 1:
            p = p.split(":")[0]
        try:
            got.append(str(ipaddress.ip_address(p)))
        except ValueError:
            continue
    return ", ".join(got)


def _mask_query(uri: str, masked: Any) -> str:
    """Skipper's maskQueryParams: the named parameters' values become a hash of them."""
    path, _, query = uri.partition("?")
    params = parse_qsl(query, keep_blank_values=True)
    out = []
    for k, v in params:
        if k in masked and v:
            v = str(int.from_bytes(hashlib.blake2b(v.encode(), digest_size=8).digest(), "big"))
        out.append((k, v))
    return path + "?" + urlencode(sorted(out, key=lambda kv: kv[0]))


class AccessLog:
    def __init__(self, settings: Settings, fd: int | None = None) -> None:
        self.disabled = settings.access_log_disabled
        self.json = settings.access_log_json_enabled
        self.strip_query = settings.access_log_strip_query
        self.pending: list[str] = []
        self.lines = 0  # written so far (tests and the status page)
        self._own_fd = False
        if fd is None:
            if settings.access_log:
                fd = os.open(settings.access_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
                self._own_fd = True
            else:
                fd = 1
        self.fd = fd
        try:
            self.whole = stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError:
            self.whole = False
        self._second = -1
        self._stamp = ""
        self._iso = ""

    def _timestamps(self, t: float) -> tuple[str, str]:
        s = int(t)
        if s != self._second:
            g = time.gmtime(s)
            self._second = s
            self._stamp = (f"{g.tm_mday:02d}/{_MONTHS[g.tm_mon]}/{g.tm_year}:"
                           f"{g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d} +0000")
            self._iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", g)
        return self._stamp, self._iso

    def log(self, ex: Any, target: bytes, elapsed: float) -> None:
        """One answered exchange; ``target`` is the request target as received, ``elapsed``
        the seconds since its first byte."""
        bag = ex.state_bag
        ctl = bag.get(CONTROL_KEY) if bag else None
        if ctl is None:
            if self.disabled:
                return
        elif not should_log(ex.status, ctl):
            return
        stamp, iso = self._timestamps(time.time() - elapsed)
        r = ex.request
        # One pass over the fields for the five the line shows (the first of each, as Go's Get).
        vals = ["", "", "", "", ""]
        for lower, _, v in r.headers.raw():
            i = _FIELDS.get(lower)
            if i is not None and not vals[i]:
                vals[i] = v
        ref, ua, flow, audit, xff = vals
        remote = _remote_host(xff) if xff else r.remote_addr
        uri = target.decode("latin-1")
        if self.strip_query:
            q = uri.find("?")
            if q >= 0:
                uri = uri[:q]
        elif bag:
            extra = bag.get(ADDITIONAL_KEY)
            masked = extra.get(MASKED_QUERY) if extra else None
            if masked and "?" in uri:
                uri = _mask_query(uri, masked)
        user = (bag.get(AUTH_USER_KEY) if bag else None) or ""
        host = r.host
        method = r.method
        ms = int(elapsed * 1000)
        if self.json:
            line = ('{"audit":%s,"auth-user":%s,"duration":%d,"flow-id":%s,"host":%s,"level":"info",'
                    '"method":%s,"msg":"","proto":%s,"referer":%s,"requested-host":%s,"response-size":%d,'
                    '"status":%d,"time":"%s","timestamp":"%s","uri":%s,"user-agent":%s}\n') % (
                _json_str(audit), _json_str(user), ms, _json_str(flow), _json_str(remote), _json_str(method),
                _json_str("HTTP/" + r.version), _json_str(ref), _json_str(host), ex.sent, ex.status, iso, stamp,
                _json_str(uri), _json_str(ua))
        else:
            # Everything the client controls, checked at once; escaped field by field only when needed.
            told = uri + ua + ref + host + flow + audit + user + method + remote
            if not (told.isascii() and told.isprintable() and '"' not in told and "\\" not in told):
                uri, ua, ref, host, flow, audit, user, method, remote = (
                    escape(x) for x in (uri, ua, ref, host, flow, audit, user, method, remote))
            line = (f'{remote or "-"} - {user or "-"} [{stamp}] "{method} {uri} HTTP/{r.version}" {ex.status} '
                    f'{ex.sent} "{ref or "-"}" "{ua or "-"}" {ms} {host or "-"} {flow or "-"} {audit or "-"}\n')
        p = self.pending
        p.append(line)
        if len(p) >= MAX_PENDING:
            self.flush()

    def flush(self) -> None:
        p = self.pending
        if not p:
            return
        self.pending = []
        data = "".join(p).encode("utf-8", "replace")
        n = len(p)
        if self.whole or len(data) <= PIPE_BUF:
            self._write(data)
        else:
            chunk: list[bytes] = []
            size = 0
            for line in p:
                b = line.encode("utf-8", "replace")
                if size + len(b) > PIPE_BUF and chunk:
                    self._write(b"".join(chunk))
                    chunk, size = [], 0
                chunk.append(b)
                size += len(b)
            if chunk:
                self._write(b"".join(chunk))
        self.lines += n

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except InterruptedError:
                continue
            except BlockingIOError:
                time.sleep(0.001)
                continue
            except OSError:
                return  # nowhere to write (a closed stdout): drop rather than take the worker down
            view = view[n:]

    def close(self) -> None:
        self.flush()
        if self._own_fd:
            os.close(self.fd)
            self._own_fd = False
