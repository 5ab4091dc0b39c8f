"""The head-only filters and the added predicates, through real proxied requests.

Cases come from the examples of Skipper's reference docs (docs/reference/filters.md and
predicates.md upstream) and from the behaviour of its code; each runs through one skipperd in
front of an echo origin (tests/catalogue.py). Bad arguments make the route invalid: dropped
alone and listed at /routes/invalid.
"""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path
from typing import Iterator

import pytest

from catalogue import Bad, Case, Catalogue, Result


def jwt(claims: dict[str, object]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"Bearer eyJhbGciOiJub25lIn0.{payload}.c2ln"


GOOGLE = "https://accounts.google.com"
EMAIL = "skipper-router@googlegroups.com"
FWD = "host=example.com;proto=https, host=example.org"
SECRET = "3YchPsliGjBXvyl/ncLWEI8/loKGrj/VNM4garxWEmA="
SECRET_HASH = "a6131ba920df753c8109500cc11818f7192336d06532f6fa13009c2e4f6e1841"
OLD, NEW = ("cba06b5736faf67e54b07b561eae94395e774c517a7d910a54369e1263ccfbd4",
            "11507a0e2f5e69d5dfa40a62a1bd7b6ee57e6bcd85c67c9b8431b36fff21c437")
BASIC = ("caae07e42ed8d231a58edcde95782b0feb67186172c18c89894ce4c2174df137",
         "157da8472590f0ce0a7c651bd79aecb5cc582944fcf76cbabada915d333deee8")
FLOW_ID = re.compile(r"^[0-9a-zA-Z+-]{16}$")


def flow_id_is_new(r: Result) -> None:
    (v,) = r.origin("X-Flow-Id")
    assert FLOW_ID.match(v), v


def _p(id: str, pred: str, match: bool, headers: list[tuple[str, str | bytes]] | None = None) -> Case:
    return Case(id, predicates=pred, headers=headers or [], status=200 if match else 404)


CASES = [
    # --- headers --------------------------------------------------------------------------------
    Case("set_req", 'setRequestHeader("X-Passed-Skipper", "true")', origin={"X-Passed-Skipper": ["true"]}),
    Case("append_req", 'appendRequestHeader("X-A", "2")', headers=[("X-A", "1")], origin={"X-A": ["1", "2"]}),
    Case("append_req_tpl", 'appendRequestHeader("X-Path", "${request.path}")',
         origin={"X-Path": ["/c/append_req_tpl"]}),
    Case("append_req_unresolved", 'appendRequestHeader("X-Q", "${request.query.missing}")', origin={"X-Q": None}),
    Case("append_req_host", 'appendRequestHeader("Host", "appended.example.org")',
         origin={"Host": ["appended.example.org"]}),
    Case("drop_req", 'dropRequestHeader("User-Agent")', headers=[("User-Agent", "curl")],
         origin={"User-Agent": None}),
    Case("drop_req_regexp", 'dropRequestHeaderRegexp("User-Agent", "^value.")',
         headers=[("User-Agent", "value1"), ("User-Agent", "other"), ("User-Agent", "value2")],
         origin={"User-Agent": ["other"]}),
    Case("mod_req_host", r'modRequestHeader("Host", "^zalando\.(\w+)$", "www.zalando.$1")',
         headers=[("Host", "zalando.de")], origin={"Host": ["www.zalando.de"]}),
    Case("mod_req", 'modRequestHeader("X-Version", "v(\\\\d+)", "version-${1}")',
         headers=[("X-Version", "v1 and v22")], origin={"X-Version": ["version-1 and version-22"]}),
    Case("mod_req_absent", 'modRequestHeader("X-Version", "v", "w")', origin={"X-Version": None}),
    Case("set_resp", 'setResponseHeader("X-Set", "yes")', client={"X-Set": ["yes"]}),
    Case("append_resp", 'appendResponseHeader("X-B", "2")', headers=[("X-Respond-X-B", "1")],
         client={"X-B": ["1", "2"]}),
    Case("drop_resp", 'dropResponseHeader("X-B")', headers=[("X-Respond-X-B", "1")], client={"X-B": None}),
    Case("drop_resp_regexp", 'dropResponseHeaderRegexp("X-B", "^drop")',
         headers=[("X-Respond-X-B", "drop-me"), ("X-Respond-X-B", "keep")], client={"X-B": ["keep"]}),
    Case("mod_resp", 'modResponseHeader("cache-control", "no-cache", "cache")',
         headers=[("X-Respond-Cache-Control", "no-cache")], client={"Cache-Control": ["cache"]}),
    Case("ctx_req", 'requestCookie("sid", "abc") -> setContextRequestHeader("X-Sid", "CookieSet:sid")',
         origin={"X-Sid": ["abc"]}),
    Case("ctx_req_append", 'requestCookie("sid", "abc") -> appendContextRequestHeader("X-Sid", "CookieSet:sid")',
         headers=[("X-Sid", "first")], origin={"X-Sid": ["first", "abc"]}),
    Case("ctx_req_missing", 'setContextRequestHeader("X-Uid", "auth-user")', origin={"X-Uid": None}),
    Case("ctx_resp", 'setContextResponseHeader("X-Sid", "CookieSet:sid") -> responseCookie("sid", "abc")',
         client={"X-Sid": ["abc"]}),
    Case("ctx_resp_append", 'appendContextResponseHeader("X-Sid", "CookieSet:sid") -> responseCookie("sid", "abc")',
         headers=[("X-Respond-X-Sid", "first")], client={"X-Sid": ["first", "abc"]}),
    Case("annotate", 'annotate("never", "gonna give you up") -> annotate("never", "gonna let you down")'
         ' -> setContextRequestHeader("X-Annotations", "filter.annotate")',
         origin={"X-Annotations": ["map[never:gonna let you down]"]}),
    Case("copy_req", 'copyRequestHeader("X-Foo", "X-Bar")', headers=[("X-Foo", "foo")],
         origin={"X-Bar": ["foo"], "X-Foo": ["foo"]}),
    Case("copy_req_absent", 'copyRequestHeader("X-Foo", "X-Bar")', headers=[("X-Bar", "bar")],
         origin={"X-Bar": ["bar"]}),
    Case("copy_req_dep", 'requestCopyHeader("X-Foo", "X-Bar")', headers=[("X-Foo", "foo")], origin={"X-Bar": ["foo"]}),
    Case("copy_resp", 'copyResponseHeader("X-Foo", "X-Bar")', headers=[("X-Respond-X-Foo", "foo")],
         client={"X-Bar": ["foo"]}),
    Case("copy_resp_dep", 'responseCopyHeader("X-Foo", "X-Bar")', headers=[("X-Respond-X-Foo", "foo")],
         client={"X-Bar": ["foo"]}),
    Case("dep_req", 'requestHeader("X-A", "${no-template}")', headers=[("X-A", "1")],
         origin={"X-A": ["1", "${no-template}"]}),
    Case("dep_resp", 'responseHeader("X-B", "2")', headers=[("X-Respond-X-B", "1")], client={"X-B": ["1", "2"]}),
    Case("b64_enc", 'encodeBase64RequestHeader("X-Foo")', headers=[("X-Foo", "user:pass")],
         origin={"X-Foo": ["dXNlcjpwYXNz"]}),
    Case("b64_enc_part", 'encodeBase64RequestHeader("Authorization", 1)', headers=[("Authorization", "Basic user:pass")],
         origin={"Authorization": ["Basic dXNlcjpwYXNz"]}),
    Case("b64_dec_part", 'decodeBase64RequestHeader("Authorization", 1)',
         headers=[("Authorization", "Basic dXNlcjpwYXNz")], origin={"Authorization": ["Basic user:pass"]}),
    Case("b64_dec", 'decodeBase64RequestHeader("X-Foo")', headers=[("X-Foo", "aGVsbG8=")], origin={"X-Foo": ["hello"]}),
    Case("b64_dec_invalid", 'decodeBase64RequestHeader("X-Foo")', headers=[("X-Foo", "not base64!")],
         origin={"X-Foo": ["not base64!"]}),
    Case("b64_dec_out_of_range", 'decodeBase64RequestHeader("X-Foo", 2)', headers=[("X-Foo", "a aGVsbG8=")],
         origin={"X-Foo": ["a aGVsbG8="]}),
    Case("b64_dec_crlf", 'decodeBase64RequestHeader("X-Foo")', headers=[("X-Foo", "YQ0KWC1JbmplY3RlZDogMQ==")],
         origin={"X-Foo": ["YQ0KWC1JbmplY3RlZDogMQ=="], "X-Injected": None}),
    Case("b64_resp", 'encodeBase64ResponseHeader("X-Foo") -> decodeBase64ResponseHeader("X-Bar")',
         headers=[("X-Respond-X-Foo", "hello"), ("X-Respond-X-Bar", "aGVsbG8=")],
         client={"X-Foo": ["aGVsbG8="], "X-Bar": ["hello"]}),
    Case("charmap_req", 'encodeRequestHeader("X-Foo", "Windows1252")', headers=[("X-Foo", "Grüße €".encode())],
         origin={"X-Foo": ["Gr\xfc\xdfe \x80"]}),
    Case("charmap_req_cannot", 'encodeRequestHeader("X-Foo", "ISO8859_1")', headers=[("X-Foo", "€".encode())],
         origin={"X-Foo": [""]}),
    Case("charmap_resp", 'encodeResponseHeader("X-Foo", "KOI8R")', headers=[("X-Respond-X-Foo", "Да".encode())],
         client={"X-Foo": ["\xe4\xc1"]}),
    Case("flowid_new", "flowId()", check=flow_id_is_new),
    Case("flowid_replaces", "flowId()", headers=[("X-Flow-Id", "keepmekeepmekeepme")], check=flow_id_is_new),
    Case("flowid_reuse", 'flowId("reuse")', headers=[("X-Flow-Id", "keepme-keepme+12")],
         origin={"X-Flow-Id": ["keepme-keepme+12"]}),
    Case("flowid_reuse_invalid", 'flowId("reuse")', headers=[("X-Flow-Id", "bad id!")], check=flow_id_is_new),
    Case("flowid_reuse_short", 'flowId("REUSE")', headers=[("X-Flow-Id", "short")], check=flow_id_is_new),
    Case("xforward", "xforward()", headers=[("Host", "www.example.org"), ("X-Forwarded-For", "10.0.0.1")],
         origin={"X-Forwarded-For": ["10.0.0.1, 127.0.0.1"], "X-Forwarded-Host": ["www.example.org"]}),
    Case("xforward_none", "xforward()", headers=[("Host", "www.example.org")],
         origin={"X-Forwarded-For": ["127.0.0.1"]}),
    Case("xforward_first", "xforwardFirst()", headers=[("Host", "www.example.org"), ("X-Forwarded-For", "10.0.0.1")],
         origin={"X-Forwarded-For": ["127.0.0.1, 10.0.0.1"], "X-Forwarded-Host": ["www.example.org"]}),
    Case("cors_any", "corsOrigin()", client={"Access-Control-Allow-Origin": ["*"]}),
    Case("cors_listed", 'corsOrigin("https://www.example.org", "http://localhost:9001")',
         headers=[("Origin", "http://localhost:9001")], client={"Access-Control-Allow-Origin": ["http://localhost:9001"]}),
    Case("cors_unlisted", 'corsOrigin("https://www.example.org")', headers=[("Origin", "https://evil.example.org")],
         client={"Access-Control-Allow-Origin": None}),
    Case("cors_no_origin", 'corsOrigin("https://www.example.org")', client={"Access-Control-Allow-Origin": None}),
    # --- path, query, redirects -----------------------------------------------------------------
    Case("strip_query", "stripQuery()", path="/x?foo=bar&baz=1", target="/c/strip_query/x", origin={"X-Query-Param-foo": None}),
    Case("strip_query_keep", 'stripQuery("true")', path="/x?foo=bar&foo=2&b%C3%A4r=3", target="/c/strip_query_keep/x",
         origin={"X-Query-Param-foo": ["bar", "2"], "X-Query-Param-bu00e4r": ["3"]}),
    Case("header_to_query", 'headerToQuery("X-Foo-Header", "foo-query-param")', path="?foo-query-param=old&a=b+c",
         headers=[("X-Foo-Header", "v 1&2")], target="/c/header_to_query?a=b+c&foo-query-param=v+1%262"),
    Case("header_to_query_absent", 'headerToQuery("X-Foo-Header", "foo")', target="/c/header_to_query_absent?foo="),
    Case("query_to_header", 'queryToHeader("foo-query-param", "X-Foo-Header")', path="?foo-query-param=bar",
         origin={"X-Foo-Header": ["bar"]}),
    Case("query_to_header_fmt", 'queryToHeader("access_token", "Authorization", "Bearer %s")',
         path="?access_token=t0k3n", origin={"Authorization": ["Bearer t0k3n"]}),
    Case("query_to_header_keeps", 'queryToHeader("access_token", "Authorization", "Bearer %s")',
         path="?access_token=t0k3n", headers=[("Authorization", "Basic x")], origin={"Authorization": ["Basic x"]}),
    Case("query_to_header_crlf", 'queryToHeader("q", "X-Q")', path="?q=a%0D%0AX-Injected:%201",
         origin={"X-Q": None, "X-Injected": None}),
    Case("rfc_path", 'rfcPath() -> setRequestHeader("X-Seen-Path", "${request.path}")', path="/foo%2Fbar",
         origin={"X-Seen-Path": ["/c/rfc_path/foo%2Fbar"]}, target="/c/rfc_path/foo%2Fbar"),
    Case("no_rfc_path", 'setRequestHeader("X-Seen-Path", "${request.path}")', path="/foo%2Fbar",
         origin={"X-Seen-Path": ["/c/no_rfc_path/foo/bar"]}, target="/c/no_rfc_path/foo%2Fbar"),
    Case("rfc_path_loopback", "rfcPath()", backend="<loopback>", path="/foo%2Fbar",
         extra_routes='c_rfc_path_loopback_target: Path("/c/rfc_path_loopback/foo%2Fbar") '
                      '-> setRequestHeader("X-Patched", "yes") -> "ORIGIN";\n',
         origin={"X-Patched": ["yes"]}),
    Case("rfc_host", 'rfcHost() -> setRequestHeader("X-Host", "${request.host}")',
         headers=[("Host", "www.example.org.")], origin={"X-Host": ["www.example.org"]}),
    Case("rfc_host_port", 'rfcHost() -> setRequestHeader("X-Host", "${request.host}")',
         headers=[("Host", "www.example.org.:8080")], origin={"X-Host": ["www.example.org:8080"]}),
    Case("redirect", 'redirect(302, "https://example.org/new")', status=302,
         client={"Location": ["https://example.org/new"]}),
    Case("redirect_from_request", "redirect(301)", path="/x?a=b", headers=[("Host", "www.example.org")], status=301,
         client={"Location": ["https://www.example.org/c/redirect_from_request/x?a=b"]}),
    # --- cookies --------------------------------------------------------------------------------
    Case("drop_req_cookie", 'dropRequestCookie("test-session")', headers=[("Cookie", "a=1; test-session=x; b=2")],
         origin={"Cookie": ["a=1; b=2"]}),
    Case("drop_req_cookie_absent", 'dropRequestCookie("test-session")', headers=[("Cookie", "a=1;b=2")],
         origin={"Cookie": ["a=1;b=2"]}),
    Case("drop_resp_cookie", 'dropResponseCookie("test-session")',
         headers=[("X-Respond-Set-Cookie", "test-session=x; Path=/"), ("X-Respond-Set-Cookie", "other=y")],
         client={"Set-Cookie": ["other=y"]}),
    Case("req_cookie", 'requestCookie("test-session", "abc")', origin={"Cookie": ["test-session=abc"]}),
    Case("req_cookie_append", 'requestCookie("test-session", "abc")', headers=[("Cookie", "a=1")],
         origin={"Cookie": ["a=1; test-session=abc"]}),
    Case("resp_cookie", 'responseCookie("test-session", "abc")', headers=[("Host", "www.example.org:9090")],
         client={"Set-Cookie": ["test-session=abc; Path=/; Domain=example.org; HttpOnly; Secure"]}),
    Case("resp_cookie_age", 'responseCookie("test-session", "abc", 31536000)', headers=[("Host", "example.org")],
         client={"Set-Cookie": ["test-session=abc; Path=/; Domain=example.org; Max-Age=31536000; HttpOnly; Secure"]}),
    Case("resp_cookie_delete", 'responseCookie("test-session", "deleted", 0)', headers=[("Host", "example.org")],
         client={"Set-Cookie": ["test-session=deleted; Path=/; Domain=example.org; Max-Age=0; HttpOnly; Secure"]}),
    Case("resp_cookie_change_only_same", 'responseCookie("test-session", "abc", 31536000, "change-only")',
         headers=[("Cookie", "test-session=abc")], client={"Set-Cookie": None}),
    Case("resp_cookie_change_only_other", 'responseCookie("test-session", "abc", 31536000, "change-only")',
         headers=[("Host", "example.org"), ("Cookie", "test-session=old")],
         client={"Set-Cookie": ["test-session=abc; Path=/; Domain=example.org; Max-Age=31536000; HttpOnly; Secure"]}),
    Case("js_cookie", 'jsCookie("test-session-info", "abc-debug", 31536000, "change-only")',
         headers=[("Host", "localhost")],
         client={"Set-Cookie": ["test-session-info=abc-debug; Path=/; Domain=localhost; Max-Age=31536000; Secure"]}),
    # --- meta -----------------------------------------------------------------------------------
    Case("comment", 'comment("nothing to see")', origin={"X-Nothing": None}),
    Case("origin_marker", 'originMarker("apiUsageMonitoring", "deployment1", "2019-08-30T09:55:51Z")'),
    # --- latency (timed in test_latency_filters_sleep) --------------------------------------------
    Case("lat_uniform_req", 'uniformRequestLatency("100ms", "10ms")'),
    Case("lat_normal_req", 'normalRequestLatency("100ms", "0ms")'),
    Case("lat_hist_req", 'histogramRequestLatency("100ms", 50, "105ms", 0, "110ms", 30, "115ms")'),
    Case("lat_uniform_resp", 'uniformResponseLatency(100, 10)'),
    Case("lat_normal_resp", 'normalResponseLatency("100ms", "0ms")'),
    Case("lat_hist_resp", 'histogramResponseLatency("100ms", 1, "110ms")'),
    # --- predicates (predicates.md examples) ----------------------------------------------------
    _p("fwd_host_com", r"ForwardedHost(/^example\.com$/)", False, [("Forwarded", FWD)]),
    _p("fwd_host_org", r"ForwardedHost(/^example\.org$/)", True, [("Forwarded", FWD)]),
    _p("fwd_host_proto", r'ForwardedHost(/^example\.org$/) && ForwardedProtocol("https")', True, [("Forwarded", FWD)]),
    _p("fwd_host_proto_http", r'ForwardedHost(/^example\.org$/) && ForwardedProtocol("http")', False,
       [("Forwarded", FWD)]),
    _p("fwd_com_https", r'ForwardedHost(/^example\.com$/) && ForwardedProtocol("https")', False, [("Forwarded", FWD)]),
    _p("fwd_quoted", r'ForwardedHost(/header\.example\.org$/)', True,
       [("Forwarded", 'for=1.2.3.4;host="my-header.example.org"')]),
    _p("fwd_absent", r'ForwardedProtocol("https")', False),
    _p("sha_match", f'HeaderSHA256("X-Secret", "{SECRET_HASH}")', True, [("X-Secret", SECRET)]),
    _p("sha_wrong", f'HeaderSHA256("X-Secret", "{SECRET_HASH}")', False, [("X-Secret", "guess")]),
    _p("sha_absent", f'HeaderSHA256("X-Secret", "{SECRET_HASH}")', False),
    _p("sha_rotation_old", f'HeaderSHA256("X-Secret", "{OLD}", "{NEW}")', True, [("X-Secret", "old")]),
    _p("sha_rotation_new", f'HeaderSHA256("X-Secret", "{OLD}", "{NEW}")', True, [("X-Secret", "new")]),
    _p("sha_basic", f'HeaderSHA256("Authorization", "{BASIC[0]}", "{BASIC[1]}")', True,
       [("Authorization", "Basic " + base64.b64encode(b"Aladdin:open sesame").decode())]),
    _p("sha_basic_utf8", f'HeaderSHA256("Authorization", "{BASIC[0]}", "{BASIC[1]}")', True,
       [("Authorization", "Basic " + base64.b64encode("test:123£".encode()).decode())]),
    _p("jwt_any", f'JWTPayloadAnyKV("iss", "{GOOGLE}")', True, [("Authorization", jwt({"iss": GOOGLE}))]),
    _p("jwt_any_other", f'JWTPayloadAnyKV("iss", "{GOOGLE}")', False, [("Authorization", jwt({"iss": "x"}))]),
    _p("jwt_any_second", f'JWTPayloadAnyKV("iss", "{GOOGLE}", "email", "{EMAIL}")', True,
       [("Authorization", jwt({"iss": "x", "email": EMAIL}))]),
    _p("jwt_all", f'JWTPayloadAllKV("iss", "{GOOGLE}", "email", "{EMAIL}")', True,
       [("Authorization", jwt({"iss": GOOGLE, "email": EMAIL, "sub": "1"}))]),
    _p("jwt_all_missing", f'JWTPayloadAllKV("iss", "{GOOGLE}", "email", "{EMAIL}")', False,
       [("Authorization", jwt({"iss": GOOGLE}))]),
    _p("jwt_not_string", 'JWTPayloadAnyKV("admin", "true")', False, [("Authorization", jwt({"admin": True}))]),
    _p("jwt_no_bearer", f'JWTPayloadAnyKV("iss", "{GOOGLE}")', False,
       [("Authorization", jwt({"iss": GOOGLE}).replace("Bearer", "Basic"))]),
    _p("jwt_garbage", f'JWTPayloadAnyKV("iss", "{GOOGLE}")', False, [("Authorization", "Bearer a.b!.c")]),
    _p("jwt_all_rx", 'JWTPayloadAllKVRegexp("iss", "^https://")', True, [("Authorization", jwt({"iss": GOOGLE}))]),
    _p("jwt_all_rx_no", 'JWTPayloadAllKVRegexp("iss", "^https://")', False,
       [("Authorization", jwt({"iss": "http://x"}))]),
    _p("jwt_any_rx", 'JWTPayloadAnyKVRegexp("iss", "^https://", "email", "@zalando")', True,
       [("Authorization", jwt({"iss": "http://x", "email": "a@zalando.de"}))]),
    _p("tee_match", 'Tee("test-A")', True, [("X-Tee-Loopback-Key", "test-A")]),
    _p("tee_other", 'Tee("test-A")', False, [("X-Tee-Loopback-Key", "test-B")]),
    _p("baggage_key", 'OTelBaggage("foo")', True, [("baggage", "a=1, foo=2;prop")]),
    _p("baggage_value", 'OTelBaggage("foo", "bar")', True, [("baggage", "foo=bar;p=1,a=b")]),
    _p("baggage_value_encoded", 'OTelBaggage("foo", "b r")', True, [("baggage", "foo=b%20r")]),
    _p("baggage_other_value", 'OTelBaggage("foo", "bar")', False, [("baggage", "foo=baz")]),
    _p("baggage_invalid", 'OTelBaggage("foo")', False, [("baggage", "foo=1,not a member")]),
    _p("baggage_absent", 'OTelBaggage("foo")', False),
]

BAD = [
    Bad('appendRequestHeader("X-A")'), Bad('appendResponseHeader("X-A", 1)'), Bad("dropRequestHeader()"),
    Bad('dropResponseHeader("X", "Y")'), Bad('dropRequestHeaderRegexp("X", "(")'),
    Bad('dropResponseHeaderRegexp("X")'), Bad('modRequestHeader("X", "a")'), Bad('modResponseHeader("X", "(", "b")'),
    Bad('setContextRequestHeader("X")'), Bad('appendContextResponseHeader("X", 1)'), Bad('copyRequestHeader("X")'),
    Bad('copyResponseHeader("X", "Y", "Z")'), Bad('requestCopyHeader(1, "Y")'), Bad('responseCopyHeader("X")'),
    Bad('requestHeader("X")'), Bad('responseHeader("X", "a\\nb")'), Bad("encodeBase64RequestHeader()"),
    Bad('encodeBase64ResponseHeader("X", "1")'), Bad('decodeBase64RequestHeader("X", 1, 2)'),
    Bad('decodeBase64ResponseHeader(1)'), Bad('encodeRequestHeader("X", "UTF-7")'),
    Bad('encodeResponseHeader("X")'), Bad("flowId(1)"), Bad("corsOrigin(1)"), Bad('corsOrigin("a", 2)'),
    Bad('dropRequestCookie()'), Bad('dropResponseCookie(1)'), Bad('requestCookie("a")'),
    Bad('requestCookie("a", "b", 1)'), Bad('responseCookie("a", "b", "c")'), Bad('responseCookie("", "b")'),
    Bad('jsCookie("a b", "c")'), Bad('responseCookie("a", "b", 1, "change-only", 5)'), Bad("stripQuery(1)"),
    Bad('headerToQuery("a")'), Bad('queryToHeader("a")'), Bad('queryToHeader("a", "B", "%d")'),
    Bad("redirect()"), Bad('redirect("301")'), Bad("redirect(1000)"), Bad('annotate("k")'),
    Bad('originMarker("a", "b", "yesterday")'), Bad('originMarker("a", "b")'),
    Bad('uniformRequestLatency("1s")'), Bad('normalResponseLatency("x", "1ms")'),
    Bad('uniformResponseLatency("-1s", "1ms")'), Bad('normalRequestLatency("10", "1ms")'),
    Bad('histogramRequestLatency("0ms", 0, "1ms")'), Bad('histogramResponseLatency("5ms", 1, "1ms")'),
    Bad('histogramRequestLatency("0ms", 1)'),
    Bad('ForwardedHost("")', True), Bad("ForwardedHost(1)", True), Bad('ForwardedHost("(")', True),
    Bad('ForwardedProtocol("ftp")', True), Bad('ForwardedProtocol("http", "https")', True),
    Bad('HeaderSHA256("X")', True), Bad('HeaderSHA256("X", "abc")', True), Bad(f'HeaderSHA256(1, "{OLD}")', True),
    Bad('HeaderSHA256("X", "zz' + OLD[2:] + '")', True),
    Bad('JWTPayloadAnyKV("iss")', True), Bad('JWTPayloadAllKV("iss", 1)', True), Bad("JWTPayloadAnyKV()", True),
    Bad('JWTPayloadAllKVRegexp("iss", "(")', True), Bad('JWTPayloadAnyKVRegexp("a", "b", "c")', True),
    Bad('Tee("")', True), Bad("Tee(1)", True), Bad('Tee("a", "b")', True),
    Bad("OTelBaggage()", True), Bad('OTelBaggage("a", "b", "c")', True), Bad("OTelBaggage(1)", True),
]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    with Catalogue(Path(tmp_path_factory.mktemp("head")), CASES, BAD) as c:
        yield c


@pytest.mark.parametrize("case_id", [c.id for c in CASES])
def test_case(catalogue: Catalogue, case_id: str) -> None:
    catalogue.run(case_id)


def test_bad_arguments_make_only_their_route_invalid(catalogue: Catalogue) -> None:
    invalid = catalogue.invalid()
    for i, b in enumerate(BAD):
        name = b.expr.split("(")[0]
        assert f"bad_{i}" in invalid, f"{b.expr} was accepted"
        reason = invalid[f"bad_{i}"]
        assert name in reason, f"{b.expr}: {reason}"
        assert catalogue.skipperd.request("GET", f"/bad/{i}")[0] == 404
    assert not any(k.startswith("c_") for k in invalid), {k: v for k, v in invalid.items() if k.startswith("c_")}
    catalogue.run("set_req")  # the good routes still serve


def test_flow_ids_differ(catalogue: Catalogue) -> None:
    ids = {catalogue.run("flowid_new").origin("X-Flow-Id")[0] for _ in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize("case_id", [c.id for c in CASES if c.id.startswith("lat_")])
def test_latency_filters_sleep(catalogue: Catalogue, case_id: str) -> None:
    t0 = time.monotonic()
    catalogue.run(case_id)
    assert time.monotonic() - t0 >= 0.085
