"""``python -m bench [--quick]``: vault, consent, retention and access benchmarks on SQLite (and PostgreSQL with
JIKIMI_BENCH_POSTGRES_URL).

Writes ``bench/results/<date>-<engine>.json`` and prints a Markdown table per engine. Benchmarks are not tests:
nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 subjects instead of 1,000,000")
    parser.add_argument("--subjects", type=int, help="override the number of subjects")
    parser.add_argument("--runs", type=int, default=3, help="measured runs after one warm-up (default 3)")
    args = parser.parse_args(argv)
    subjects = args.subjects or (10_000 if args.quick else 1_000_000)
    engines = ["sqlite"]
    pg_url = os.environ.get("JIKIMI_BENCH_POSTGRES_URL")
    if pg_url:
        engines.append("postgresql")
    RESULTS.mkdir(exist_ok=True)
    today = datetime.now(UTC).date().isoformat()
    for engine in engines:
        print(f"{engine}: {subjects:,} subjects x 8 fields, {args.runs} runs after a warm-up", file=sys.stderr)
        with databases(engine, pg_url) as open_db:
            log = lambda msg: print(f"  {msg}", file=sys.stderr)  # noqa: E731  (one shared progress printer)
            figures = run_vault_benchmarks(open_db, subjects, args.runs, log)
            figures += run_consent_benchmarks(open_db, subjects, args.runs, log)
            figures += run_retention_benchmarks(open_db, subjects, args.runs, log)
            figures += run_access_benchmarks(open_db, subjects, args.runs, log)
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
        out = RESULTS / f"{today}-{engine}.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(table(engine, figures))
        print(f"\n(written to {out.relative_to(RESULTS.parent.parent)})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
