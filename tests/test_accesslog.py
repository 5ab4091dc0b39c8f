"""The access log of real skipperd processes: format, escaping, batching, nothing lost on stops.

Also the filters that steer it (enableAccessLog, disableAccessLog, maskAccessLogQuery), the
audit filters and the JSON application log.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

from harness import Options, Skipperd
from skipperd.config import Settings
from skipperd.worker.accesslog import escape

Start = Callable[..., Skipperd]

ROUTES = '''
hello: Path("/hello") -> inlineContent("hi") -> <shunt>;
any: PathSubtree("/") -> inlineContent("any") -> <shunt>;
'''

# Skipper's format: every field but the request line, status, size and duration is one token
# or a quoted string in which only \\" and \\\\ and \\xHH escapes occur.
_Q = r'"((?:[^"\\\x00-\x1f\x7f-\U0010ffff]|\\["\\]|\\x[0-9a-f]{2})*)"'
LINE = re.compile(r'^(\S+) - (\S+) \[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000)\] ' + _Q +
                  r' (\d{3}) (\d+) ' + _Q + " " + _Q + r' (\d+) (\S+) (\S+) (\S+)$')


def raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(data)
        out = b""
        while True:
            got = c.recv(65536)
            if not got:
                return out
            out += got


def access_lines(path: Path, needle: str = "") -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except FileNotFoundError:
        return []
    return [ln for ln in text.split("\n") if ln and needle in ln]


def test_escape_keeps_one_line_and_marks_every_unusual_byte() -> None:
    assert escape("") == "-"
    assert escape("curl/8.0") == "curl/8.0"
    assert escape('a"b\\c') == 'a\\"b\\\\c'
    assert escape("a\nb\rc\x00\x7f\x85\xe9") == "a\\x0ab\\x0dc\\x00\\x7f\\x85\\xe9"
    assert escape("\u2028") == "\\xe2\\x80\\xa8"
    for s in ("\n", "\r\n", "\x85", "\u2028", "\x1e"):
        assert len((escape("x" + s + "y")).splitlines()) == 1


@pytest.mark.parametrize("json_format", [False, True])
def test_quote_and_backslash_from_the_client_give_one_well_formed_line(
        skipperd: Start, tmp_path: Path, json_format: bool) -> None:
    log = tmp_path / "access.log"
    args = [f"-access-log={log}"] + (["-access-log-json-enabled"] if json_format else [])
    s = skipperd(Options(routes=ROUTES, access_log=True, args=args))
    agent = b'ev"il\\agent \x85 "\\'
    target = b'/a"b\\c?q="x\\y'
    reply = raw_request(s.port, b"GET " + target + b" HTTP/1.1\r\nHost: h.example\r\nUser-Agent: " + agent +
                        b"\r\nReferer: r\"\\\r\nX-Flow-Id: f\"1\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200"), reply
    lines = s.wait_for(lambda: access_lines(log, "h.example") if not json_format else
                       [ln for ln in access_lines(log) if "h.example" in ln])
    assert len(lines) == 1, lines
    line = lines[0]
    if json_format:
        doc = json.loads(line)
        assert doc["user-agent"] == agent.decode("latin-1")
        assert doc["uri"] == target.decode("latin-1")
        assert doc["referer"] == 'r"\\' and doc["flow-id"] == 'f"1' and doc["requested-host"] == "h.example"
        assert doc["status"] == 200 and doc["response-size"] == 3 and doc["method"] == "GET"
        assert doc["proto"] == "HTTP/1.1" and doc["host"] == "127.0.0.1" and doc["level"] == "info"
        assert line.isascii()
    else:
        m = LINE.match(line)
        assert m, line
        assert m.group(4) == 'GET /a\\"b\\\\c?q=\\"x\\\\y HTTP/1.1'
        assert m.group(8) == 'ev\\"il\\\\agent \\x85 \\"\\\\'
        assert m.group(7) == 'r\\"\\\\' and m.group(11) == 'f\\"1' and m.group(10) == "h.example"
        assert m.group(5) == "200" and m.group(6) == "3"


def test_default_format_and_destination_is_stdout(skipperd: Start) -> None:
    s = skipperd(Options(routes=ROUTES, access_log=True))
    s.request("GET", "/hello?x=1", headers={"User-Agent": "ua", "Host": "example.org"})
    line = s.wait_for(lambda: next((ln for ln in s.log().splitlines() if "/hello?x=1" in ln), None))
    m = LINE.match(line)
    assert m, line
    assert m.group(1) == "127.0.0.1" and m.group(2) == "-" and m.group(7) == "-" and m.group(8) == "ua"
    assert m.group(12) == "-" and m.group(11) == "-"


def test_strip_query_and_mask_query(skipperd: Start, tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    routes = ROUTES + 'masked: Path("/masked") -> maskAccessLogQuery("secret") -> inlineContent("m") -> <shunt>;\n'
    s = skipperd(Options(routes=routes, access_log=True, args=[f"-access-log={log}"]))
    s.request("GET", "/masked?secret=hunter2&b=2")
    s.request("GET", "/masked?secret=hunter2&b=3")
    lines = s.wait_for(lambda: len(access_lines(log, "/masked")) == 2 and access_lines(log, "/masked"))
    assert all("hunter2" not in ln for ln in lines)
    hashes = [re.search(r"secret=(\d+)", ln).group(1) for ln in lines]  # type: ignore[union-attr]
    assert hashes[0] == hashes[1], "the same value masks to the same hash"
    assert "b=2" in lines[0] and "b=3" in lines[1]

    log2 = tmp_path / "b.log"
    s2 = skipperd(Options(routes=ROUTES, access_log=True, args=[f"-access-log={log2}", "-access-log-strip-query"]))
    s2.request("GET", "/hello?token=abc")
    line = s2.wait_for(lambda: access_lines(log2, "/hello"))[0]
    assert '"GET /hello HTTP/1.1"' in line and "token" not in line


def test_route_filters_override_the_global_setting(skipperd: Start, tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    routes = '''
        on: Path("/on") -> enableAccessLog() -> inlineContent("on") -> <shunt>;
        on4xx: Path("/on4xx") -> enableAccessLog(4) -> status(404) -> inlineContent("x") -> <shunt>;
        on200: Path("/on200") -> enableAccessLog(4) -> inlineContent("x") -> <shunt>;
        off: Path("/off") -> disableAccessLog() -> inlineContent("off") -> <shunt>;
        off20x: Path("/off20x") -> disableAccessLog(20, 301) -> inlineContent("x") -> <shunt>;
        off404: Path("/off404") -> disableAccessLog(20) -> status(404) -> inlineContent("x") -> <shunt>;
        plain: Path("/plain") -> inlineContent("p") -> <shunt>;
    '''
    disabled = skipperd(Options(routes=routes, access_log=False, args=[f"-access-log={log}"]))
    for p in ("/on", "/on4xx", "/on200", "/off", "/plain"):
        disabled.request("GET", p)
    disabled.wait_for(lambda: len(access_lines(log)) >= 2)
    time.sleep(0.3)  # past another flush: nothing else comes
    logged = {m.group(4).split()[1] for m in map(LINE.match, access_lines(log)) if m}
    assert logged == {"/on", "/on4xx"}, logged

    log2 = tmp_path / "b.log"
    enabled = skipperd(Options(routes=routes, access_log=True, args=[f"-access-log={log2}"]))
    for p in ("/off", "/off20x", "/off404", "/plain"):
        enabled.request("GET", p)
    enabled.wait_for(lambda: len(access_lines(log2)) >= 3)
    time.sleep(0.3)
    logged = {m.group(4).split()[1] for m in map(LINE.match, access_lines(log2)) if m}
    assert logged == {"/off404", "/plain", "/__harness_ready"}, logged


def _jwt(claims: dict[str, object]) -> str:
    def b64(d: bytes) -> str:
        return base64.urlsafe_b64encode(d).rstrip(b"=").decode()
    return b64(b'{"alg":"none"}') + "." + b64(json.dumps(claims).encode()) + ".sig"


def test_unverified_audit_log_and_audit_log(skipperd: Start, tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    routes = '''
        audit: Path("/audit") -> unverifiedAuditLog() -> inlineContent("a") -> <shunt>;
        azp: Path("/azp") -> unverifiedAuditLog("azp") -> inlineContent("a") -> <shunt>;
        full: Path("/full") -> auditLog() -> status(201) -> inlineContent("f") -> <shunt>;
    '''
    s = skipperd(Options(routes=routes, access_log=True, args=[f"-access-log={log}"]))
    s.request("GET", "/audit", headers={"Authorization": "Bearer " + _jwt({"sub": "user-1@example.org"})})
    s.request("GET", "/audit", headers={"Authorization": "Bearer " + _jwt({"sub": "bad sub\n"})})
    s.request("GET", "/azp", headers={"Authorization": "Bearer " + _jwt({"sub": "x", "azp": "client_7"})})
    s.request("GET", "/full?q=1")
    lines = s.wait_for(lambda: len(access_lines(log)) >= 5 and access_lines(log))
    audit = [LINE.match(ln).group(12) for ln in lines if "/audit" in ln or "/azp" in ln]  # type: ignore[union-attr]
    assert audit == ["user-1@example.org", "<invalid-sub>", "client_7"]
    doc = s.wait_for(lambda: next((json.loads(ln) for ln in s.log().splitlines() if ln.startswith('{"method"')), None))
    assert doc == {"method": "GET", "path": "/full", "status": 201}


def test_invalid_filter_arguments_are_reported(skipperd: Start) -> None:
    routes = ROUTES + '''
        bad1: Path("/b1") -> enableAccessLog("x") -> <shunt>;
        bad2: Path("/b2") -> maskAccessLogQuery() -> <shunt>;
        bad3: Path("/b3") -> auditLog(1) -> <shunt>;
        bad4: Path("/b4") -> unverifiedAuditLog(1) -> <shunt>;
    '''
    s = skipperd(Options(routes=routes))
    status, _, body = s.support("/routes/invalid")
    assert status == 200 and sorted(i["route_id"] for i in json.loads(body)) == ["bad1", "bad2", "bad3", "bad4"]


class _Load:
    """Clients that send requests on keep-alive connections until told to stop; counts answers."""

    def __init__(self, port: int, clients: int = 8) -> None:
        self.port = port
        self.answered = 0
        self.stop = False
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(clients)]

    def start(self) -> "_Load":
        for t in self.threads:
            t.start()
        return self

    def run(self) -> None:
        import http.client
        while not self.stop:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                while not self.stop:
                    c.request("GET", "/hello?load=1")
                    r = c.getresponse()
                    r.read()
                    if r.status == 200:
                        with self.lock:
                            self.answered += 1
                    if r.getheader("Connection", "").lower() == "close":
                        break
            except (OSError, http.client.HTTPException):
                time.sleep(0.01)
            finally:
                c.close()

    def finish(self) -> int:
        self.stop = True
        for t in self.threads:
            t.join(10)
        return self.answered


@pytest.mark.slow
def test_sigterm_under_load_loses_no_line(skipperd: Start, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    s = skipperd(Options(routes=ROUTES, workers=2, access_log=True, args=[f"-access-log={log}"]))
    load = _Load(s.port).start()
    s.wait_for(lambda: load.answered > 300, timeout=20)
    s.signal(signal.SIGTERM)
    assert s.proc is not None
    s.proc.wait(30)
    answered = load.finish()
    assert answered > 300
    assert len(access_lines(log, "load=1")) == answered


@pytest.mark.slow
def test_sighup_rotation_under_load_loses_no_line(skipperd: Start, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    s = skipperd(Options(routes=ROUTES, workers=2, access_log=True, args=[f"-access-log={log}"]))
    before = set(s.wait_workers(2))
    load = _Load(s.port).start()
    s.wait_for(lambda: load.answered > 200, timeout=20)
    s.signal(signal.SIGHUP)
    s.wait_for(lambda: len(set(s.worker_pids()) & before) == 0 and len(s.worker_pids()) == 2, timeout=30)
    s.wait_for(lambda: load.answered > 600, timeout=20)
    answered = load.finish()
    s.wait_for(lambda: len(access_lines(log, "load=1")) >= answered, timeout=5)
    time.sleep(0.3)
    assert len(access_lines(log, "load=1")) == answered


def test_application_log_json(skipperd: Start) -> None:
    s = skipperd(Options(routes=ROUTES, args=["-application-log-json-enabled"]))
    s.wait_for(lambda: "route table generation" in s.log())
    lines = [ln for ln in s.log().splitlines() if ln.strip()]
    docs = [json.loads(ln) for ln in lines]  # every line, gunicorn's own included
    assert any("route table generation 1" in d["msg"] and d["level"] == "info" for d in docs), s.log()
    assert any("Booting worker" in d["msg"] for d in docs)
    assert all({"level", "msg", "time"} <= set(d) for d in docs)


def test_settings_parse() -> None:
    s = Settings(access_log_json_enabled=True, access_log_strip_query=True)
    assert s.access_log_json_enabled and s.access_log_strip_query and s.max_audit_body == 1024


def test_audit_log_includes_the_body_up_to_max_audit_body(skipperd: Start) -> None:
    routes = 'full: Path("/full") -> auditLog() -> inlineContent("f") -> <shunt>;\n'
    s = skipperd(Options(routes=routes, args=["-max-audit-body=5"]))
    assert s.request("POST", "/full", body=b"hello world")[0] == 200
    assert s.request("GET", "/full")[0] == 200
    docs = s.wait_for(lambda: (lambda d: d if len(d) == 2 else None)(
        [json.loads(ln) for ln in s.log().splitlines() if ln.startswith('{"method"')]))
    assert docs[0] == {"method": "POST", "path": "/full", "status": 200, "requestBody": "hello"}
    assert docs[1] == {"method": "GET", "path": "/full", "status": 200}
