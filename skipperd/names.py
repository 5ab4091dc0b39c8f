"""Every built-in predicate and filter name, in one place (../shared/STYLE.md §2).

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

# Filters
STATUS = "status"
INLINE_CONTENT = "inlineContent"
SET_REQUEST_HEADER = "setRequestHeader"
SET_RESPONSE_HEADER = "setResponseHeader"
DISABLE_ACCESS_LOG = "disableAccessLog"
ENABLE_ACCESS_LOG = "enableAccessLog"
MASK_ACCESS_LOG_QUERY = "maskAccessLogQuery"
AUDIT_LOG = "auditLog"
UNVERIFIED_AUDIT_LOG = "unverifiedAuditLog"
SET_DYNAMIC_BACKEND_HOST_FROM_HEADER = "setDynamicBackendHostFromHeader"
SET_DYNAMIC_BACKEND_SCHEME_FROM_HEADER = "setDynamicBackendSchemeFromHeader"
SET_DYNAMIC_BACKEND_URL_FROM_HEADER = "setDynamicBackendUrlFromHeader"
SET_DYNAMIC_BACKEND_HOST = "setDynamicBackendHost"
SET_DYNAMIC_BACKEND_SCHEME = "setDynamicBackendScheme"
SET_DYNAMIC_BACKEND_URL = "setDynamicBackendUrl"
CONSISTENT_HASH_KEY = "consistentHashKey"
CONSISTENT_HASH_BALANCE_FACTOR = "consistentHashBalanceFactor"
