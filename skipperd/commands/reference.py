"""The filter and predicate reference, generated from the specs' declarations.

``skipperd filters`` and ``skipperd predicates`` list every registered name with its arguments
(``skipperd.params``) and summary; with ``--markdown`` they print docs/filters.md and
docs/predicates.md, which a test keeps in step with the code. A spec that declares no ``params``
is listed with ``(...)``: its arguments are checked, only not yet described.
"""

from __future__ import annotations

from typing import Any, Iterable, TextIO

from skipperd.params import Param, signature

_TITLES = {"filters": "Filters", "predicates": "Predicates"}


def _specs(kind: str) -> list[Any]:
    if kind == "filters":
        from skipperd.filters import make_registry as filters

        return sorted(filters(), key=lambda s: s.name.lower())
    from skipperd.predicates import make_registry as predicates

    return sorted(predicates(), key=lambda s: s.name.lower())


def _params(spec: Any) -> tuple[Param, ...] | None:
    p = getattr(spec, "params", None)
    return p if isinstance(p, tuple) else None


def sig(spec: Any) -> str:
    params = _params(spec)
    return signature(spec.name, params) if params is not None else f"{spec.name}(...)"


def text(kind: str) -> str:
    specs = _specs(kind)
    width = min(60, max(len(sig(s)) for s in specs))
    lines = []
    for s in specs:
        summary = getattr(s, "summary", "")
        signature_ = sig(s)
        if len(signature_) > width:
            lines.append(f"{signature_}\n{'':{width}}  {summary}".rstrip())
        else:
            lines.append(f"{signature_:{width}}  {summary}".rstrip())
    lines.append(f"\n{len(specs)} {kind}")
    return "\n".join(lines) + "\n"


def _param_lines(params: Iterable[Param]) -> list[str]:
    out = []
    for p in params:
        flags = [w for w, on in (("optional", p.optional), ("repeatable", p.variadic)) if on]
        choices = f"; one of {', '.join(f'`{c}`' for c in p.choices)}" if p.choices else ""
        extra = f" ({', '.join(flags)})" if flags else ""
        doc = f": {p.doc}" if p.doc else ""
        out.append(f"- `{p.name}` *{p.kind}*{extra}{choices}{doc}")
    return out


def markdown(kind: str) -> str:
    specs = _specs(kind)
    cmd = f"skipperd {kind} --markdown > docs/{kind}.md"
    lines = [f"# {_TITLES[kind]}", "",
             f"<!-- Generated from the specs by `{cmd}`; do not edit. -->", "",
             f"{len(specs)} {kind}, each with its arguments as skipperd checks them. Semantics follow "
             f"Skipper's reference (docs/reference/{kind}.md upstream); the summary says where skipperd "
             "adds to it.", "",
             "Kinds: *string*; *number*; *int* (a number used as an integer); *regexp* (a string or a "
             "`/regexp/` literal, RE2 syntax); *duration* (a Go duration string such as `\"100ms\"`, "
             "or a number of milliseconds); *any* (a string or a number).", ""]
    for s in specs:
        lines.append(f"## {s.name}")
        lines.append("")
        lines.append(f"`{sig(s)}`")
        lines.append("")
        summary = getattr(s, "summary", "")
        if summary:
            lines.append(summary[0].upper() + summary[1:] + ("" if summary.endswith(".") else "."))
            lines.append("")
        params = _params(s)
        if params:
            lines += _param_lines(params)
            lines.append("")
        elif params is None:
            lines.append("Arguments: not described yet (they are checked).")
            lines.append("")
    return "\n".join(lines)


def main(kind: str, argv: list[str], out: TextIO, err: TextIO) -> int:
    if argv == ["--markdown"]:
        out.write(markdown(kind))
        return 0
    if argv:
        err.write(f"usage: skipperd {kind} [--markdown]\n")
        return 2
    out.write(text(kind))
    return 0
