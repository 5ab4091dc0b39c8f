"""The access log: one line per request to logger ``skipperd.access``, in Skipper's format.

    remote - - [26/Nov/2026:18:00:00 +0000] "GET /path?q HTTP/1.1" 200 18 "referer" "agent" 3 host - -

(client, user, time, request line, status, response body bytes, referer, user agent, duration in
ms, request host, flow id, audit). Nothing is formatted when the logger is disabled
(``-access-log-disabled``): ``enabled()`` is checked once per request.
"""

from __future__ import annotations

import logging
import time

from skipperd.proxy.exchange import Exchange

log = logging.getLogger("skipperd.access")

_stamp_second = 0
_stamp = ""


def enabled() -> bool:
    return not log.disabled and log.isEnabledFor(logging.INFO)


def _timestamp(t: float) -> str:
    global _stamp_second, _stamp
    s = int(t)
    if s != _stamp_second:
        _stamp_second = s
        _stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(s))
    return _stamp


def write(ex: Exchange, started: float) -> None:
    r = ex.request
    h = r.headers
    now = time.time()
    uri = r.raw_path + ("?" + r.query if r.query else "")
    flow = h.get("X-Flow-Id") or "-"
    log.info('%s - - [%s] "%s %s HTTP/%s" %d %d "%s" "%s" %d %s %s -',
             r.remote_addr or "-", _timestamp(now), r.method, uri, r.version, ex.status, ex.sent,
             h.get("Referer") or "", h.get("User-Agent") or "", int((now - started) * 1000),
             r.host or "-", flow)
