"""Built-in filters: specs that validate their arguments and create per-route instances.

The filter runtime contract
===========================

Registries. ``make_registry(options)`` builds the registry of built-in specs; nothing registers
itself on import. Names come from ``skipperd.names``. ``options`` is a
``FilterOptions`` (``skipperd.filters.options``): the supervisor passes ``role="supervisor"``,
each worker ``role="worker"`` with its settings, its outbound HTTP client
(``skipperd.proxy.client``), a clock, and the hooks where metrics and per-host shared state plug
in (``host_state``: named shared-memory segments every worker of the host maps, with a lock that
dies with its holder, ``skipperd.shm.host``; fadeIn keeps its detection times there). A spec
keeps what it needs from the options when the registry is built.

Specs declare their arguments (``params``, ``skipperd.params``) and a one-line ``summary``;
``skipperd filters`` and docs/filters.md are generated from them.

The catalogue's head-only filters (Skipper's semantics, one small module per family):
``header_ops`` (append, drop, dropRegexp, context, copy, the deprecated requestHeader,
responseHeader, requestCopyHeader, responseCopyHeader), ``header_mod`` (modRequestHeader,
modResponseHeader), ``header_codec`` (encode/decode base64, charmap encodings), ``flowid``,
``xforward`` (xforward, xforwardFirst), ``cors`` (corsOrigin), ``cookies``, ``query``
(stripQuery, headerToQuery, queryToHeader), ``rfc`` (rfcPath, rfcHost), ``redirect`` (the
deprecated redirect), ``meta`` (comment, annotate, originMarker), ``jitter`` (uniform, normal and
histogram request and response latency). On bodies: ``content`` (randomContent, repeatContent,
repeatContentHex, wrapContent, wrapContentHex, inlineContentIfStatus, healthcheck, blockContent,
blockContentHex), ``diag`` (tarpit, absorb, absorbSilent, logHeader, logBody), ``static``,
``cache`` (one bounded store per registry, so per worker).

Validation and creation are separate (``skipperd.filters.base``). ``spec.validate(args)``
checks the arguments and raises ``InvalidArguments`` with the reason; it builds nothing. The
supervisor only validates: a route whose filter arguments fail is dropped alone and reported at
``/routes/invalid``. ``spec.create(args)`` returns the instance; only workers create. A spec
without ``validate`` is validated by ``create``; ``base.Spec`` derives both from one ``parse``.

Instances and table swaps. An instance is shared by every request of its route and holds no
request state. Instances with equal ``(name, args)`` are shared by all routes, unless the spec
says ``per_route = True``: then each route has its own, keyed by route id, position, name and
arguments. Either way an instance survives a table swap as the same object as long as a route
still uses it, so per-route state (fadeIn's start, a breaker's counts) lives on; an instance no
route uses any more gets ``close()`` (when it defines one) once the new table is in place.

Phases. An instance defines ``request(ctx)`` and/or ``response(ctx)``; only the phases it
defines are called. Request phases run in route order; a request filter that calls
``ctx.serve(response)`` ends the request phase, and only the filters run so far see the
response. Response phases run in reverse order. On an error response (the backend failed or
timed out, a filter raised ``ProxyError``) only instances with ``handle_error_response = True``
run their response phase, as Skipper's ``errorHandlerFilter``.

Bodies (``skipperd.http.body``, ``FilterContext``). ``ctx.request_body`` is the request body as
a stream (``None`` without one); ``ctx.set_request_body(data)`` replaces it,
``ctx.wrap_request_body(transform)`` passes it through a ``Transform`` as it streams. In the
response phase ``ctx.response.body`` (bytes made locally) or ``ctx.response.stream`` (a stream
from the backend) holds the body; ``ctx.wrap_response_body(transform)`` and
``ctx.set_response_body(data)`` work on either. The one response writer
(``skipperd.proxy.respond.write_response``) decides the framing from the body finally sent:
filters never need to fix ``Content-Length`` or ``Transfer-Encoding``.

Per-request knobs a filter hands to the proxy through the context: ``outgoing_host``,
``backend_timeout``, ``read_timeout``, ``write_timeout``; ``state_bag`` for values passed along
one request.

Built-in filters (Skipper semantics, docs/reference/filters.md upstream):

* ``status(code)`` sets the response status;
* ``inlineContent(text[, mime])`` serves ``text`` with status 200, the content type sniffed
  like Go's ``http.DetectContentType`` when not given;
* ``setRequestHeader(name, value)`` / ``setResponseHeader(name, value)`` set a header; the
  value is a template whose ``${name}`` placeholders are resolved per request (path parameters,
  ``request.header.X``, ``request.query.X``, ...). A value without ``${`` is a plain string.
"""

from __future__ import annotations

from skipperd.filters import (
    backend_proxy, cache, content, cookies, cors, diag, dynamic, flowid, header_codec, header_mod, header_ops, hosts,
    jitter, meta, query, redirect, rfc, static, xforward,
)
from skipperd.filters.accesslog import DisableAccessLogSpec, EnableAccessLogSpec, MaskAccessLogQuerySpec
from skipperd.filters.audit import AuditLogSpec, UnverifiedAuditLogSpec
from skipperd.filters.base import FilterSpec
from skipperd.filters.consistenthash import ConsistentHashBalanceFactorSpec, ConsistentHashKeySpec
from skipperd.filters.headers import SetRequestHeaderSpec, SetResponseHeaderSpec
from skipperd.filters.inline import InlineContentSpec
from skipperd.filters.options import FilterOptions
from skipperd.filters.status import StatusSpec
from skipperd.registry import Registry


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
        AuditLogSpec(o.settings.max_audit_body),
        UnverifiedAuditLogSpec(),
        ConsistentHashKeySpec(),
        ConsistentHashBalanceFactorSpec(),
    ]
    specs += _catalogue(o)
    specs += [spec() for spec in dynamic.SPECS]
    specs += _runtime(o)
    return Registry(specs)


def _runtime(o: FilterOptions) -> list[FilterSpec]:
    """The filters that prove the runtime: paths, bodies, shadows, timeouts, shaping, webhook."""
    from skipperd.filters import compression, fadein, paths, sed, shaping, tee, teeloop, timeouts, webhook

    endpoints = o.endpoints if o.endpoints is not None else fadein.EndpointRegistry(o.clock)
    return [
        fadein.FadeInSpec(endpoints, o.random), fadein.EndpointCreatedSpec(endpoints),
        paths.SetPathSpec(), paths.ModPathSpec(), paths.SetQuerySpec(), paths.DropQuerySpec(),
        paths.RedirectToSpec(), paths.RedirectToLowerSpec(),
        compression.CompressSpec(), compression.DecompressSpec(),
        sed.SedSpec(), sed.SedDelimSpec(), sed.SedRequestSpec(), sed.SedRequestDelimSpec(),
        tee.TeeSpec(o), tee.TeeNfSpec(o), teeloop.TeeLoopbackSpec(o),
        timeouts.BackendTimeoutSpec(), timeouts.ReadTimeoutSpec(), timeouts.WriteTimeoutSpec(),
        shaping.LatencySpec(), shaping.BandwidthSpec(), shaping.ChunksSpec(),
        shaping.BackendLatencySpec(), shaping.BackendBandwidthSpec(), shaping.BackendChunksSpec(),
        webhook.WebhookSpec(o),
    ] + _shadows(o)


def _shadows(o: FilterOptions) -> list[FilterSpec]:
    """The catalogue's shadow filters on the runtime's outbound client and tee."""
    from skipperd.filters import shadow

    from skipperd.filters import loopback

    return [shadow.TeeResponseSpec(o), shadow.TeeDeprecatedSpec(o), loopback.LoopbackIfStatusSpec()]


def _catalogue(o: FilterOptions) -> list[FilterSpec]:
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
        content.RandomContentSpec(), content.RepeatContentSpec(), content.RepeatContentHexSpec(),
        content.WrapContentSpec(), content.WrapContentHexSpec(), content.InlineContentIfStatusSpec(),
        content.HealthCheckSpec(), content.BlockContentSpec(), content.BlockContentHexSpec(),
        diag.TarpitSpec(), diag.AbsorbSpec(), diag.AbsorbSilentSpec(), diag.LogHeaderSpec(), diag.LogBodySpec(),
        static.StaticSpec(), hosts.PreserveHostSpec(), backend_proxy.BackendIsProxySpec(),
        # One store per registry, so per worker: every cache() of the worker's routes shares it.
        cache.CacheSpec(cache.LRUStore(o.settings.response_cache_max_memory_bytes), o.clock),
    ]


__all__ = ["FilterOptions", "make_registry"]
