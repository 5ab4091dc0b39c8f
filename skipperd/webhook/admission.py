"""Admitting one AdmissionReview: the request body in, the HTTP status and response body out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from skipperd.dataclients.kubernetes import objects as o
from skipperd.dataclients.kubernetes.definitions import (
    parse_routegroup,
    validate_ingress_annotations,
    validate_routegroup,
)

MAX_BODY_SIZE = 3145728
ADMITTERS = {"/routegroups": "routegroup", "/ingresses": "ingress"}


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    allowed: bool | None  # None: the request itself was refused (4xx), nothing was admitted
    reason: str = ""  # why a request was refused, for the log


def _bad(reason: str) -> Answer:
    return Answer(400, b"", None, reason)


def validate_object(admitter: str, obj: Any) -> str | None:
    """The validation error of an Ingress or RouteGroup object, or None when it is admissible."""
    if not isinstance(obj, dict):
        raise o.Malformed("object: expected a JSON object")
    if admitter == "routegroup":
        return validate_routegroup(parse_routegroup(obj))
    meta = o.opt_mapping(obj, "metadata")
    annotations = o.str_map(meta, "annotations") if meta is not None else {}
    return validate_ingress_annotations(annotations)


def admit(admitter: str, method: str, content_type: str | None, body: bytes) -> Answer:
    """Skipper's ``admission.Handler``: 400 for a request that is not a review, else 200 and a review."""
    if method != "POST" or content_type != "application/json":
        return _bad("not a POST of application/json")
    try:
        review = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        return _bad(f"Failed to parse request: {e}")
    request = review.get("request") if isinstance(review, dict) else None
    if not isinstance(request, dict):
        return _bad("Missing review request")
    uid = request.get("uid")
    uid = uid if isinstance(uid, str) else ""
    try:
        err = validate_object(admitter, request.get("object"))
    except o.Malformed as e:
        return _bad(f"Failed to admit request: {e}")
    response: dict[str, Any] = {"uid": uid, "allowed": err is None}
    if err is not None:
        response["status"] = {"message": err}
    out = {"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "response": response}
    return Answer(200, json.dumps(out, separators=(",", ":")).encode(), err is None)
