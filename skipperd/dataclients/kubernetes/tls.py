"""TLS secrets: the checks Skipper makes before a certificate enters its registry."""

from __future__ import annotations

import base64
import binascii

from skipperd.dataclients.kubernetes import objects as o
from skipperd.dataclients.kubernetes.model import KubeObject

TLS_SECRET_TYPE = "kubernetes.io/tls"


def _decode(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return None


def certificate_error(secret: KubeObject) -> str | None:
    """Skipper's ``generateTLSCertFromSecret`` error text, or None for a usable secret.

    The key pair is checked for PEM blocks of the right kinds; the full X.509 parse is the
    business of whoever loads the certificate.
    """
    try:
        data = o.str_map(secret, "data")
        name = o.string(o.mapping(secret, "metadata"), "name")
        stype = o.string(secret, "type")
    except o.Malformed:
        return "secret must contain tls.crt and tls.key in data field"
    if not data.get("tls.crt") or not data.get("tls.key"):
        return "secret must contain tls.crt and tls.key in data field"
    crt = _decode(data["tls.crt"])
    if crt is None:
        return f"failed to decode tls.crt from secret {name}"
    key = _decode(data["tls.key"])
    if key is None:
        return f"failed to decode tls.key from secret {name}"
    if b"-----BEGIN CERTIFICATE-----" not in crt or b"PRIVATE KEY-----" not in key:
        return f"failed to create tls certificate from secret {name}"
    if stype != TLS_SECRET_TYPE:
        return f"secret {name} is not of type {TLS_SECRET_TYPE}"
    return None
