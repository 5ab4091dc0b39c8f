"""Admission cases (``kubernetes-admission/expected.yaml``): AdmissionReview bodies and the answers
Skipper's webhook gives, checked against ``skipperd.webhook.admission`` in-process.

Each entry names a request body file (under ``rg/`` for the RouteGroup admitter, ``ingress/``
for the Ingress one), whether it is allowed, and the refusal message; the answer must be HTTP
200 and JSON-equal to the AdmissionReview the README of the corpus describes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import yaml

from skipperd.webhook.admission import admit

SECTIONS = {"routegroup": "routegroup", "ingress": "ingress"}


class Reporter(Protocol):
    def passed(self, where: str) -> None: ...

    def failed(self, where: str, reason: str) -> None: ...


def is_admission_dir(path: Path) -> bool:
    f = path / "expected.yaml"
    if not f.is_file():
        return False
    try:
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(doc, dict) and any(isinstance(doc.get(k), list) for k in SECTIONS)


def expected_review(uid: str, allowed: bool, message: str | None) -> dict[str, Any]:
    response: dict[str, Any] = {"uid": uid, "allowed": allowed}
    if not allowed:
        response["status"] = {"message": message}
    return {"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "response": response}


def run_admission_dir(path: Path, report: Reporter) -> None:
    doc = yaml.safe_load((path / "expected.yaml").read_text(encoding="utf-8"))
    for section, admitter in SECTIONS.items():
        for entry in doc.get(section) or []:
            where = f"{path}/{entry.get('file')}"
            try:
                body = (path / entry["file"]).read_bytes()
                uid = json.loads(body).get("request", {}).get("uid", "")
                answer = admit(admitter, "POST", "application/json", body)
            except (OSError, ValueError, KeyError) as e:
                report.failed(where, f"cannot run: {e}")
                continue
            if answer.status != 200:
                report.failed(where, f"status {answer.status}: {answer.reason}")
                continue
            want = expected_review(uid, bool(entry.get("allowed")), entry.get("message"))
            got = json.loads(answer.body)
            if got == want:
                report.passed(where)
            else:
                report.failed(where, f"expected {json.dumps(want)}, got {json.dumps(got)}")
