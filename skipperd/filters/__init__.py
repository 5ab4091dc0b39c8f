"""Built-in filters: specs that validate their arguments and create per-route instances.

A filter instance is shared by every request of its route and holds no request state
(../shared/STYLE.md §1). It defines ``request(ctx)`` and/or ``response(ctx)``; the routing
table calls only the phases an instance defines, so a filter that has nothing to do in a phase
leaves that method out and costs nothing there.

``make_registry(options)`` builds the registry of built-in specs; nothing registers itself on
import (STYLE §2). Names come from ``skipperd.names``. Specs declare their arguments (``params``,
``skipperd.params``) and a one-line ``summary``; ``skipperd filters`` and docs/filters.md are
generated from them.

The catalogue's head-only filters (Skipper's semantics, one small module per family):
``header_ops`` (append, drop, dropRegexp, context, copy, the deprecated requestHeader,
responseHeader, requestCopyHeader, responseCopyHeader), ``header_mod`` (modRequestHeader,
modResponseHeader), ``header_codec`` (encode/decode base64, charmap encodings), ``flowid``,
``xforward`` (xforward, xforwardFirst), ``cors`` (corsOrigin), ``cookies``, ``query``
(stripQuery, headerToQuery, queryToHeader), ``rfc`` (rfcPath, rfcHost), ``redirect`` (the
deprecated redirect), ``meta`` (comment, annotate, originMarker), ``jitter`` (uniform, normal and
histogram request and response latency).

Implemented (Skipper semantics, docs/reference/filters.md upstream):

* ``status(code)`` sets the response status;
* ``inlineContent(text[, mime])`` serves ``text`` with status 200, the content type sniffed
  like Go's ``http.DetectContentType`` when not given;
* ``setRequestHeader(name, value)`` / ``setResponseHeader(name, value)`` set a header; the
  value is a template whose ``${name}`` placeholders are resolved per request (path parameters,
  ``request.header.X``, ``request.query.X``, ...). A value without ``${`` is a plain string.
"""

from __future__ import annotations

from dataclasses import dataclass

from skipperd.filters import (
    cookies, cors, dynamic, flowid, header_codec, header_mod, header_ops, jitter, meta, query, redirect, rfc,
    xforward,
)
from skipperd.filters.accesslog import DisableAccessLogSpec, EnableAccessLogSpec, MaskAccessLogQuerySpec
from skipperd.filters.audit import AuditLogSpec, UnverifiedAuditLogSpec
from skipperd.filters.base import FilterSpec
from skipperd.filters.consistenthash import ConsistentHashBalanceFactorSpec, ConsistentHashKeySpec
from skipperd.filters.headers import SetRequestHeaderSpec, SetResponseHeaderSpec
from skipperd.filters.inline import InlineContentSpec
from skipperd.filters.status import StatusSpec
from skipperd.metrics import NULL, Metrics
from skipperd.registry import Registry


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """What built-in filters may need from the process.

    ``metrics``: the process's metrics (``skipperd.metrics.Metrics``); a filter's own keys go
    under ``<filter>.custom.<key>`` (``skipperd.metrics.custom_key``). ``max_audit_body``:
    ``-max-audit-body`` for ``auditLog``.
    """

    metrics: Metrics = NULL
    max_audit_body: int = 1024


def make_registry(options: FilterOptions | None = None) -> Registry[FilterSpec]:
    """A fresh registry with every built-in filter spec."""
    o = options if options is not None else FilterOptions()
    specs: list[FilterSpec] = [
        StatusSpec(),
        InlineContentSpec(),
        SetRequestHeaderSpec(),
        SetResponseHeaderSpec(),
        DisableAccessLogSpec(),
        EnableAccessLogSpec(),
        MaskAccessLogQuerySpec(),
        AuditLogSpec(o.max_audit_body),
        UnverifiedAuditLogSpec(),
        ConsistentHashKeySpec(),
        ConsistentHashBalanceFactorSpec(),
    ]
    specs += _catalogue()
    specs += [spec() for spec in dynamic.SPECS]
    return Registry(specs)


def _catalogue() -> list[FilterSpec]:
    h, c = header_ops, header_codec
    return [
        h.AppendRequestHeaderSpec(), h.AppendResponseHeaderSpec(),
        h.DropRequestHeaderSpec(), h.DropResponseHeaderSpec(),
        h.DropRequestHeaderRegexpSpec(), h.DropResponseHeaderRegexpSpec(),
        h.SetContextRequestHeaderSpec(), h.AppendContextRequestHeaderSpec(),
        h.SetContextResponseHeaderSpec(), h.AppendContextResponseHeaderSpec(),
        h.CopyRequestHeaderSpec(), h.CopyResponseHeaderSpec(),
        h.DeprecatedRequestHeaderSpec(), h.DeprecatedResponseHeaderSpec(),
        h.DeprecatedCopyRequestHeaderSpec(), h.DeprecatedCopyResponseHeaderSpec(),
        header_mod.ModRequestHeaderSpec(), header_mod.ModResponseHeaderSpec(),
        c.EncodeBase64RequestHeaderSpec(), c.EncodeBase64ResponseHeaderSpec(),
        c.DecodeBase64RequestHeaderSpec(), c.DecodeBase64ResponseHeaderSpec(),
        c.EncodeRequestHeaderSpec(), c.EncodeResponseHeaderSpec(),
        flowid.FlowIdSpec(), xforward.XForwardSpec(), xforward.XForwardFirstSpec(), cors.CorsOriginSpec(),
        cookies.DropRequestCookieSpec(), cookies.DropResponseCookieSpec(), cookies.RequestCookieSpec(),
        cookies.ResponseCookieSpec(), cookies.JsCookieSpec(),
        query.StripQuerySpec(), query.HeaderToQuerySpec(), query.QueryToHeaderSpec(),
        rfc.RfcPathSpec(), rfc.RfcHostSpec(), redirect.RedirectSpec(),
        meta.CommentSpec(), meta.AnnotateSpec(), meta.OriginMarkerSpec(),
        jitter.UniformRequestLatencySpec(), jitter.UniformResponseLatencySpec(),
        jitter.NormalRequestLatencySpec(), jitter.NormalResponseLatencySpec(),
        jitter.HistogramRequestLatencySpec(), jitter.HistogramResponseLatencySpec(),
    ]


__all__ = ["FilterOptions", "make_registry"]
