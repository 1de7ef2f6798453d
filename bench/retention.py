"""Retention benchmarks: the destruction sweep over expired subjects, and a sweep with nothing to do.

The expired buckets (8 ciphertext fields each, as the issue counts them) are loaded straight into the tables: the
sweep, not the sign-up path, is what is measured. Figures (seconds, lower is better):

- keys shredded: from the sweep's start until every due data key is deleted (the data is unreadable from then on);
- every row gone: the whole sweep, ciphertext rows included;
- nothing to do: a sweep over the same number of kept buckets that expire far in the future (index only).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.vault import Figure
from jikimi.adapters.storage import SqlVaultStore
from jikimi.adapters.storage.retention_store import SqlRetentionStore
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.policy import load_policy
from jikimi.retention import SweepProgress
from jikimi.vault import LocalKeyring

__all__ = ["run_retention_benchmarks"]

POLICY = os.path.join(os.path.dirname(__file__), "..", "examples", "policies", "1mm.yaml")
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
_LOAD = 100_000


def _load(store: SqlVaultStore, n: int, expires: datetime, prefix: str) -> None:
    raw: Any = store.engine.raw_connection()
    sqlite = store.engine.dialect.name == "sqlite"
    p = "?" if sqlite else "%s"

    def when(at: datetime) -> Any:
        return at.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else at

    created, expiry, blob, key = when(NOW), when(expires), os.urandom(40), os.urandom(60)
    cursor = raw.cursor()
    for start in range(0, n, _LOAD):
        ids = [f"{prefix}{i:010d}" for i in range(start, min(n, start + _LOAD))]
        cursor.executemany(f"INSERT INTO subjects (id, created_at) VALUES ({p}, {p})", [(s, created) for s in ids])
        cursor.executemany(
            f"INSERT INTO data_keys VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
            [(s, "visit_logs", 1, "bench", key, created) for s in ids],
        )
        cursor.executemany(
            f"INSERT INTO fields VALUES ({p}, {p}, {p}, {p}, {p})",
            [(s, "visit_logs", f"item{j}", 1, blob) for s in ids for j in range(8)],
        )
        cursor.executemany(
            "INSERT INTO retention_buckets (subject, bucket, rule, record, expires_at, use, separate_storage, "
            f"policy_version, items, state) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
            [(s, "visit_logs", "visit_logs", None, expiry, None, False, "bench", 8, 0) for s in ids],
        )
        raw.commit()
    raw.close()


def run_retention_benchmarks(
    open_db: Callable[[], tuple[SqlVaultStore, str, str | None]], subjects: int, runs: int, log: Callable[[str], None]
) -> list[Figure]:
    """Measure the figures of the module doc at ``subjects`` expired subjects."""
    shredded = Figure(f"sweep: keys shredded, {subjects:,} expired", "s", lower_is_better=True, target="<= 3 s at 1M")
    gone = Figure(f"sweep: every row gone, {subjects:,} expired", "s", lower_is_better=True, target="<= 30 s at 1M")
    idle = Figure(f"sweep with nothing to do, {subjects:,} kept", "s", lower_is_better=True, target="<= 1 s at 10M")
    policy = load_policy(POLICY)
    for run in range(runs + 1):
        store, _url, _schema = open_db()
        retention = SqlRetentionStore(store.engine)
        engine = Engine(policy, retention, LocalKeyring.generate(), FixedClock(NOW))
        _load(store, subjects, NOW + timedelta(days=92), "x")
        log(f"retention run {run}: {subjects:,} expired buckets loaded")
        marks: list[float] = []
        start = time.perf_counter()

        def mark(_p: SweepProgress, marks: list[float] = marks, start: float = start) -> None:
            marks.append(time.perf_counter() - start)

        engine.sweep(NOW + timedelta(days=200), progress=mark)
        total = time.perf_counter() - start
        _load(store, subjects, NOW + timedelta(days=3650), "k")
        start = time.perf_counter()
        engine.sweep(NOW + timedelta(days=200))
        nothing = time.perf_counter() - start
        retention.close()
        if run == 0:
            continue  # warm-up
        shredded.runs.append(marks[-1] if marks else 0.0)
        gone.runs.append(total)
        idle.runs.append(nothing)
    return [shredded, gone, idle]
