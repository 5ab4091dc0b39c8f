"""Scores of the last mutation run (scripts/mutation), per module, from mutmut's mutants/*.meta.

Usage: mutation_report.py [GLOB ...]   GLOB: a mutant-name pattern such as 'skipperd.eskip.lexer.*'
       mutation_report.py --pending [GLOB ...]   what a run should check (see pending())

Prints killed / survived / timeout / no tests / equivalent per module, then each surviving
mutant's name (``.venv/bin/mutmut show NAME`` prints its diff). A mutant listed in
scripts/lib/mutation-equivalent.txt (one name a line, then ``#`` and why it cannot change
behaviour) counts as equivalent, not survived. Exit status 1 when a mutant survived.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENT = ROOT / "scripts" / "lib" / "mutation-equivalent.txt"

# mutmut 3's exit codes of a mutant's test run (mutmut.stats.status_by_exit_code).
STATUS = {
    1: "killed",
    3: "killed",
    37: "killed",  # caught by the type checker
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    None: "not checked",
}
COLUMNS = ("killed", "survived", "timeout", "equivalent", "no tests", "not checked", "other")


def equivalent_names() -> dict[str, str]:
    names: dict[str, str] = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            name, _, why = line.partition("#")
            if name.strip():
                names[name.strip()] = why.strip()
    return names


def pending(globs: list[str]) -> list[str]:
    """The mutants of ``globs`` to run: those not checked yet or surviving, by name; a whole
    module by its glob when its source changed since its mutants were made (mutmut makes them
    again, with new names) or when it has none yet."""
    out: list[str] = []
    equivalent = equivalent_names()
    for g in globs:
        module = g.removesuffix(".*")
        sources = [ROOT / (module.replace(".", "/") + ".py")]
        package = ROOT / module.replace(".", "/")
        if package.is_dir():
            sources = sorted(package.rglob("*.py"))
        for src in sources:
            meta = ROOT / "mutants" / (str(src.relative_to(ROOT)) + ".meta")
            name = str(src.relative_to(ROOT))[: -len(".py")].replace("/", ".").removesuffix(".__init__")
            if not meta.exists() or src.stat().st_mtime > meta.stat().st_mtime:
                out.append(name + ".*")
                continue
            for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
                if STATUS.get(code, "other") in ("survived", "not checked", "other") and key not in equivalent:
                    out.append(key)
    return out


def main(globs: list[str]) -> int:
    metas = sorted((ROOT / "mutants").rglob("*.py.meta"))
    if not metas:
        print("no results: run scripts/mutation first", file=sys.stderr)
        return 2
    equivalent = equivalent_names()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    for meta in metas:
        module = str(meta.relative_to(ROOT / "mutants"))[: -len(".py.meta")].replace("/", ".")
        module = module.removesuffix(".__init__")
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if globs and not any(fnmatch.fnmatch(name, g) for g in globs):
                continue
            status = STATUS.get(code, "other")
            if status == "survived" and name in equivalent:
                status = "equivalent"
            counts[module][status] += 1
            if status == "survived":
                survivors.append(name)
    width = max((len(m) for m in counts), default=6)
    print(f"{'module':<{width}}  " + "  ".join(f"{c:>11}" for c in COLUMNS) + "  score")
    total: Counter[str] = Counter()
    for module in sorted(counts):
        c = counts[module]
        total.update(c)
        print(f"{module:<{width}}  " + "  ".join(f"{c[k]:>11}" for k in COLUMNS) + f"  {score(c)}")
    print(f"{'total':<{width}}  " + "  ".join(f"{total[k]:>11}" for k in COLUMNS) + f"  {score(total)}")
    if survivors:
        print(f"\n{len(survivors)} surviving (see each with .venv/bin/mutmut show NAME):")
        for name in survivors:
            print("  " + name)
    return 1 if survivors else 0


def score(c: Counter[str]) -> str:
    """Killed (timeouts count as killed: the mutant did not pass) over all tested but equivalent."""
    tested = c["killed"] + c["timeout"] + c["survived"]
    return f"{100 * (c['killed'] + c['timeout']) / tested:.1f}%" if tested else "-"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--pending"]:
        print("\n".join(pending(sys.argv[2:])))
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
