"""``python -m bench [--quick]``: vault, consent, retention and access benchmarks on SQLite (and PostgreSQL with
JIKIMI_BENCH_POSTGRES_URL).

Writes ``bench/results/<date>-<engine>.json`` (``<date>-<engine>-10k.json`` for ``--quick``, another size or
``--only`` in the name likewise) and prints a Markdown table per engine. ``--sizes 10000,100000``
measures every figure at each size instead and writes ``<date>-<engine>-curve.json`` with a table of how each
figure grows. Benchmarks are not tests: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.access import run_access_benchmarks
from bench.consent import run_consent_benchmarks
from bench.retention import run_retention_benchmarks
from bench.vault import Figure, databases, run_vault_benchmarks

__all__ = ["main"]

RESULTS = Path(__file__).resolve().parent / "results"


def table(engine: str, figures: list[Figure]) -> str:
    lines = [
        f"### {engine}",
        "",
        "| figure | jikimi (median) | min–max | target | reference | reference (median) | ratio |",
        "|---|---:|---:|---|---|---:|---:|",
    ]
    for fig in figures:
        j = Figure.stats(fig.runs)
        fmt = "{:,.3f}" if fig.lower_is_better else "{:,.0f}"
        cells = [
            fig.name,
            f"{fmt.format(j['median'])} {fig.unit}",
            f"{fmt.format(j['min'])}–{fmt.format(j['max'])}",
            fig.target,
        ]
        if fig.reference_runs:
            r = Figure.stats(fig.reference_runs)
            cells += [fig.reference_name, f"{fmt.format(r['median'])} {fig.unit}", f"{j['median'] / r['median']:.2f}"]
        else:
            cells += ["", "", ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


FULL_SIZE = 1_000_000  # the full run (`make bench`) writes <date>-<engine>.json


def _size(n: int) -> str:
    """10000000 -> "10M", 100000 -> "100k", 12345 -> "12345"."""
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


def _generic(name: str) -> str:
    """A figure's name without its size ("sweep: keys shredded, 100,000 expired" -> "..., N expired")."""
    return re.sub(r"\d{1,3}(,\d{3})+|\b\d{4,}\b", "N", name)


def _keys(figures: list[Figure]) -> list[str]:
    """Each figure's size-free name; an indented one ("  the same, in CPU time") is named after the one above it."""
    keys, parent = [], ""
    for fig in figures:
        if fig.name.startswith(" "):
            keys.append(f"{parent} — {fig.name.strip()}")
        else:
            parent = _generic(fig.name)
            keys.append(parent)
    return keys


def curve(
    engine: str, pg_url: str | None, sizes: list[int], suites: list[str], runs: int, today: str, *, write: bool
) -> None:
    """Every figure at each of ``sizes``: a table of medians, one column per size, and its JSON."""
    by_size: dict[int, list[Figure]] = {}
    for size in sizes:
        print(f"{engine}: {size:,} subjects x 8 fields, {runs} runs after a warm-up", file=sys.stderr)
        with databases(engine, pg_url) as open_db:
            log = lambda msg: print(f"  {msg}", file=sys.stderr)  # noqa: E731
            by_size[size] = [fig for name in suites for fig in SUITES[name](open_db, size, runs, log)]
    cells: dict[str, dict[int, Figure]] = {}
    for size, figures in by_size.items():
        for key, fig in zip(_keys(figures), figures, strict=True):
            cells.setdefault(key, {})[size] = fig
    lines = [
        f"### {engine}: how each figure grows (medians)",
        "",
        "| figure | unit | " + " | ".join(f"{size:,}" for size in sizes) + " |",
        "|---|---|" + "---:|" * len(sizes),
    ]
    for name, row in cells.items():
        unit = next(iter(row.values())).unit
        values = []
        for size in sizes:
            at_size = row.get(size)
            if at_size is None:
                values.append("")
                continue
            median = Figure.stats(at_size.runs)["median"]
            values.append(f"{median:,.3f}" if at_size.lower_is_better else f"{median:,.0f}")
        lines.append(f"| {name} | {unit} | " + " | ".join(values) + " |")
    print("\n".join(lines))
    if write:
        out = RESULTS / f"{today}-{engine}-curve.json"
        result = {
            "date": today,
            "engine": engine,
            "sizes": sizes,
            "runs": runs,
            "python": platform.python_version(),
            "figures": {str(size): [fig.as_dict() for fig in figs] for size, figs in by_size.items()},
        }
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"\n(written to {out.relative_to(RESULTS.parent.parent)})\n")


SUITES = {
    "vault": run_vault_benchmarks,
    "consent": run_consent_benchmarks,
    "retention": run_retention_benchmarks,
    "access": run_access_benchmarks,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 subjects instead of 1,000,000")
    parser.add_argument("--subjects", type=int, help="override the number of subjects")
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="measured runs after one warm-up (default 3); 0: a single run without warm-up, for the long scale runs",
    )
    parser.add_argument(
        "--only",
        choices=sorted(SUITES),
        action="append",
        help="run only this suite (repeatable); written to bench/results/<date>-<engine>-<suites>-<size>.json",
    )
    parser.add_argument(
        "--engine",
        choices=["sqlite", "postgresql"],
        action="append",
        help="measure only this engine (repeatable; postgresql needs JIKIMI_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--sizes",
        help="comma-separated subject counts (e.g. 10000,100000,1000000): how each figure grows with the data",
    )
    args = parser.parse_args(argv)
    suites = args.only or list(SUITES)
    subjects = args.subjects or (10_000 if args.quick else FULL_SIZE)
    pg_url = os.environ.get("JIKIMI_BENCH_POSTGRES_URL")
    engines = args.engine or (["sqlite", "postgresql"] if pg_url else ["sqlite"])
    if "postgresql" in engines and not pg_url:
        parser.error(
            "--engine postgresql needs JIKIMI_BENCH_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    RESULTS.mkdir(exist_ok=True)
    today = datetime.now(UTC).date().isoformat()
    if args.sizes:
        sizes = [int(size.replace("_", "")) for size in args.sizes.split(",")]
        for engine in engines:
            curve(engine, pg_url, sizes, suites, args.runs, today, write=not args.only)
        return 0
    for engine in engines:
        runs = f"{args.runs} runs after a warm-up" if args.runs else "one run, no warm-up"
        print(f"{engine}: {subjects:,} subjects x 8 fields, {runs}", file=sys.stderr)
        with databases(engine, pg_url) as open_db:
            log = lambda msg: print(f"  {msg}", file=sys.stderr)  # noqa: E731  (one shared progress printer)
            figures = [fig for name in suites for fig in SUITES[name](open_db, subjects, args.runs, log)]
        result = {
            "date": today,
            "engine": engine,
            "subjects": subjects,
            "fields_per_subject": 8,
            "runs": args.runs,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "figures": [fig.as_dict() for fig in figures],
        }
        # A subset of the suites, or another size, goes to a file of its own (2026-11-25-postgresql-retention-1M.json,
        # 2026-12-07-sqlite-10k.json for --quick): it must not overwrite the day's full run.
        part = f"-{'+'.join(sorted(suites))}" if args.only else ""
        if args.only or subjects != FULL_SIZE:
            part += f"-{_size(subjects)}"
        out = RESULTS / f"{today}-{engine}{part}.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(table(engine, figures))
        print(f"\n(written to {out.relative_to(RESULTS.parent.parent)})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
