"""Every built-in predicate and filter name, in one place.

Registries, the Kubernetes converter and the docs refer to these constants, never to string
literals of their own.
"""

from __future__ import annotations

# Predicates
PATH = "Path"
PATH_SUBTREE = "PathSubtree"
PATH_REGEXP = "PathRegexp"
HOST = "Host"
HOST_ANY = "HostAny"
METHOD = "Method"
METHODS = "Methods"
HEADER = "Header"
HEADER_REGEXP = "HeaderRegexp"
COOKIE = "Cookie"
QUERY_PARAM = "QueryParam"
WEIGHT = "Weight"
TRUE = "True"
FALSE = "False"
SHUTDOWN = "Shutdown"
SOURCE = "Source"
SOURCE_FROM_LAST = "SourceFromLast"
CLIENT_IP = "ClientIP"
AFTER = "After"
BEFORE = "Before"
BETWEEN = "Between"
CRON = "Cron"
TRAFFIC = "Traffic"
TRAFFIC_SEGMENT = "TrafficSegment"
CONTENT_LENGTH_BETWEEN = "ContentLengthBetween"
ANY = "Any"
FORWARDED_HOST = "ForwardedHost"
FORWARDED_PROTOCOL = "ForwardedProtocol"
HEADER_SHA256 = "HeaderSHA256"
JWT_PAYLOAD_ANY_KV = "JWTPayloadAnyKV"
JWT_PAYLOAD_ALL_KV = "JWTPayloadAllKV"
JWT_PAYLOAD_ANY_KV_REGEXP = "JWTPayloadAnyKVRegexp"
JWT_PAYLOAD_ALL_KV_REGEXP = "JWTPayloadAllKVRegexp"
TEE = "Tee"
OTEL_BAGGAGE = "OTelBaggage"

# Filters
STATUS = "status"
INLINE_CONTENT = "inlineContent"
SET_REQUEST_HEADER = "setRequestHeader"
SET_RESPONSE_HEADER = "setResponseHeader"
SET_DYNAMIC_BACKEND_HOST_FROM_HEADER = "setDynamicBackendHostFromHeader"
SET_DYNAMIC_BACKEND_SCHEME_FROM_HEADER = "setDynamicBackendSchemeFromHeader"
SET_DYNAMIC_BACKEND_URL_FROM_HEADER = "setDynamicBackendUrlFromHeader"
SET_DYNAMIC_BACKEND_HOST = "setDynamicBackendHost"
SET_DYNAMIC_BACKEND_SCHEME = "setDynamicBackendScheme"
SET_DYNAMIC_BACKEND_URL = "setDynamicBackendUrl"
CONSISTENT_HASH_KEY = "consistentHashKey"
CONSISTENT_HASH_BALANCE_FACTOR = "consistentHashBalanceFactor"

# Filters: headers
APPEND_REQUEST_HEADER = "appendRequestHeader"
DROP_REQUEST_HEADER = "dropRequestHeader"
# Registered under this name, though Skipper's docs say dropRequestHeaderValueRegexp.
DROP_REQUEST_HEADER_REGEXP = "dropRequestHeaderRegexp"
APPEND_RESPONSE_HEADER = "appendResponseHeader"
DROP_RESPONSE_HEADER = "dropResponseHeader"
DROP_RESPONSE_HEADER_REGEXP = "dropResponseHeaderRegexp"
MOD_REQUEST_HEADER = "modRequestHeader"
MOD_RESPONSE_HEADER = "modResponseHeader"
SET_CONTEXT_REQUEST_HEADER = "setContextRequestHeader"
APPEND_CONTEXT_REQUEST_HEADER = "appendContextRequestHeader"
SET_CONTEXT_RESPONSE_HEADER = "setContextResponseHeader"
APPEND_CONTEXT_RESPONSE_HEADER = "appendContextResponseHeader"
COPY_REQUEST_HEADER = "copyRequestHeader"
COPY_RESPONSE_HEADER = "copyResponseHeader"
ENCODE_REQUEST_HEADER = "encodeRequestHeader"
ENCODE_RESPONSE_HEADER = "encodeResponseHeader"
ENCODE_BASE64_REQUEST_HEADER = "encodeBase64RequestHeader"
ENCODE_BASE64_RESPONSE_HEADER = "encodeBase64ResponseHeader"
DECODE_BASE64_REQUEST_HEADER = "decodeBase64RequestHeader"
DECODE_BASE64_RESPONSE_HEADER = "decodeBase64ResponseHeader"
PRESERVE_HOST = "preserveHost"
FLOW_ID = "flowId"
XFORWARD = "xforward"
XFORWARD_FIRST = "xforwardFirst"
CORS_ORIGIN = "corsOrigin"
# Deprecated aliases Skipper still registers.
REQUEST_HEADER = "requestHeader"
RESPONSE_HEADER = "responseHeader"
REQUEST_COPY_HEADER = "requestCopyHeader"
RESPONSE_COPY_HEADER = "responseCopyHeader"

# Filters: path, query, redirects
STRIP_QUERY = "stripQuery"
HEADER_TO_QUERY = "headerToQuery"
QUERY_TO_HEADER = "queryToHeader"
RFC_PATH = "rfcPath"
RFC_HOST = "rfcHost"
REDIRECT = "redirect"  # deprecated: redirectTo

# Filters: bodies and responses
STATIC = "static"
INLINE_CONTENT_IF_STATUS = "inlineContentIfStatus"
BLOCK_CONTENT = "blockContent"
BLOCK_CONTENT_HEX = "blockContentHex"
WRAP_CONTENT = "wrapContent"
WRAP_CONTENT_HEX = "wrapContentHex"
HEALTHCHECK = "healthcheck"

# Filters: diagnostics
RANDOM_CONTENT = "randomContent"
REPEAT_CONTENT = "repeatContent"
REPEAT_CONTENT_HEX = "repeatContentHex"
TARPIT = "tarpit"
ABSORB = "absorb"
ABSORB_SILENT = "absorbSilent"
LOG_HEADER = "logHeader"
LOG_BODY = "logBody"
UNIFORM_REQUEST_LATENCY = "uniformRequestLatency"
UNIFORM_RESPONSE_LATENCY = "uniformResponseLatency"
NORMAL_REQUEST_LATENCY = "normalRequestLatency"
NORMAL_RESPONSE_LATENCY = "normalResponseLatency"
HISTOGRAM_REQUEST_LATENCY = "histogramRequestLatency"
HISTOGRAM_RESPONSE_LATENCY = "histogramResponseLatency"

# Filters: shadow traffic and fallbacks
TEE_RESPONSE = "teeResponse"
LOOPBACK_IF_STATUS = "loopbackIfStatus"
TEE_DEPRECATED = "Tee"  # deprecated filter alias of tee (also the name of a predicate)

# Filters: cookies
DROP_REQUEST_COOKIE = "dropRequestCookie"
DROP_RESPONSE_COOKIE = "dropResponseCookie"
REQUEST_COOKIE = "requestCookie"
RESPONSE_COOKIE = "responseCookie"
JS_COOKIE = "jsCookie"

# Filters: backends, meta, caching
BACKEND_IS_PROXY = "backendIsProxy"
COMMENT = "comment"
ANNOTATE = "annotate"
ORIGIN_MARKER = "originMarker"
CACHE = "cache"
