"""The HTTP message model that predicates, filters and the proxy share.

Pure values, no I/O: a request as the worker parsed it (``Request``), header fields
(``Headers``), a response (``Response``) and the per-request context that filters see
(``FilterContext``). The worker fills them from httptools callbacks; the proxy serialises them.
"""

from skipperd.http.headers import Headers
from skipperd.http.request import Request
from skipperd.http.response import Response
from skipperd.http.context import FilterContext

__all__ = ["Headers", "Request", "Response", "FilterContext"]
