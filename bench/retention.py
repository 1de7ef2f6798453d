"""Retention benchmarks: the destruction sweep over expired subjects, and a sweep with nothing to do.

The expired buckets (8 ciphertext fields each, as the issue counts them, each the bucket of one operational record)
are loaded straight into the tables: the sweep, not the sign-up path, is what is measured. Their expiries are spread
over 30 days (a month of withdrawals), each day's data keys under that day's expiry key, as ``Retention`` makes them
(docs/retention.md, "Expiry keys").
Figures (seconds, lower is better):

- keys shredded: from the sweep's start until every due key is deleted (the data is unreadable from then on): the
  30 expiry keys;
- every row gone: the whole sweep, ciphertext rows included;
- peak memory: the sweeping process's peak resident set (MB), whatever the number of subjects;
- nothing to do: a sweep over the same number of kept buckets that expire far in the future (index only).

The measured sweep runs in a process of its own, as `jikimi sweep` would, so its peak memory is its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.vault import Figure
from jikimi.adapters.storage import SqlVaultStore
from jikimi.adapters.storage.partitions import part_of
from jikimi.adapters.storage.retention_store import SqlRetentionStore
from jikimi.adapters.storage.tables import KEYS_SCHEMA
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.policy import load_policy
from jikimi.vault import init_key_file

__all__ = ["run_retention_benchmarks"]

POLICY = os.path.join(os.path.dirname(__file__), "..", "examples", "policies", "1mm.yaml")
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
_LOAD = 100_000
_DAYS = 30  # the loaded buckets expire over this many days, one expiry key each

# The sweep as a separate process: times from its own start, and its peak RSS. VmHWM, not ru_maxrss: Linux carries
# ru_maxrss over from the parent through fork and exec, so it would report the loading bench's peak.
_CHILD = """
import json, sys, time
from datetime import datetime
from jikimi.adapters.storage.retention_store import open_retention_store
from jikimi.engine import Engine
from jikimi.policy import load_policy
from jikimi.vault import LocalKeyring
url, schema, policy, key, now = sys.argv[1:6]
engine = Engine(load_policy(policy), open_retention_store(url, schema=schema or None), LocalKeyring.from_file(key))
marks = []
start = time.perf_counter()
engine.sweep(datetime.fromisoformat(now), progress=lambda p: marks.append(time.perf_counter() - start))
total = time.perf_counter() - start
status = open("/proc/self/status").read()
rss = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"keys": marks[-1] if marks else 0.0, "total": total, "rss_mb": rss}))
"""


def _tables(
    keys: str, created: Any, expiries: list[Any], names: list[str]
) -> list[tuple[str, Callable[[int, str], list[tuple[Any, ...]]]]]:
    """Each loaded table (with its columns) and the rows subject number ``n`` gets there: one site-visit record kept in
    one bucket of 8 fields, ``visit_logs/<record id>`` (listed with the record's kind and date), as ``Engine.record``
    makes it; expiring on day ``n % _DAYS``, its data key wrapped by that day's expiry key (``names``) and its rows in
    that day's expiry month (``jikimi.adapters.storage.partitions``)."""
    blob, key = os.urandom(40), os.urandom(60)
    items = [f"item{j}" for j in range(8)]
    parts = [part_of(name) for name in names]

    def bucket(s: str) -> str:
        return f"visit_logs/r{s}"  # the record's id: "r" and its subject's

    def kept(n: int, s: str) -> list[tuple[Any, ...]]:
        day = n % _DAYS
        row = (s, bucket(s), "visit_logs", f"r{s}", expiries[day], False, "bench", 8, 0, names[day], "visit_log")
        return [(*row, created, parts[day])]

    return [
        ("subjects (id, created_at)", lambda n, s: [(s, created)]),
        (
            f"{keys} (subject, bucket, key_version, kek_id, wrapped, created_at)",
            lambda n, s: [(s, bucket(s), 1, names[n % _DAYS], key, created)],
        ),
        (
            "fields (subject, bucket, item, kind, value, part)",
            lambda n, s: [(s, bucket(s), i, 1, blob, parts[n % _DAYS]) for i in items],
        ),
        (
            "retention_buckets (subject, bucket, rule, record, expires_at, separate_storage, policy_version, items, "
            "state, expiry_key, kind, occurred_at, part)",
            kept,
        ),
    ]


def _expiry_keys(engine: Engine, expires: datetime) -> tuple[list[datetime], list[str]]:
    """One expiry key per day from ``expires`` on, made through the engine as a bucket's first kept copy would."""
    expiries = [expires + timedelta(days=d) for d in range(_DAYS)]
    names = [engine.retention.expiry_key(at) for at in expiries]
    assert None not in names
    return expiries, [str(n) for n in names]


def _load(store: SqlVaultStore, engine: Engine, n: int, expires: datetime, prefix: str) -> None:
    """``n`` subjects with one bucket of 8 fields each, expiring over 30 days from ``expires``, one commit per
    100,000 subjects: executemany on SQLite, COPY on PostgreSQL (executemany loads 10M subjects in about half an
    hour there)."""
    raw: Any = store.engine.raw_connection()
    sqlite = store.engine.dialect.name == "sqlite"
    expiries, names = _expiry_keys(engine, expires)
    if sqlite:  # SQLAlchemy's text for a DateTime on SQLite

        def text(t: datetime) -> str:
            return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

        tables = _tables(f"{KEYS_SCHEMA}.data_keys", text(NOW), [text(t) for t in expiries], names)
    else:
        tables = _tables("data_keys", NOW, expiries, names)
    cursor = raw.driver_connection.cursor()
    for start in range(0, n, _LOAD):
        ids = [(i, f"{prefix}{i:010d}") for i in range(start, min(n, start + _LOAD))]
        if sqlite:
            cursor.execute("BEGIN")  # jikimi's connections leave transactions to the caller: one per chunk, not row
        for table, rows in tables:
            if sqlite:
                marks = ", ".join("?" * len(rows(*ids[0])[0]))
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", [r for i, s in ids for r in rows(i, s)])
                continue
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for i, s in ids:
                    for row in rows(i, s):
                        copy.write_row(row)
        raw.driver_connection.commit()
    if not sqlite:
        # As autovacuum would within a minute of a bulk load: without statistics (and hint bits) the first query on
        # the fresh tables pays for them, and that is the load's cost, not the sweep's.
        raw.driver_connection.autocommit = True
        cursor.execute("VACUUM ANALYZE subjects, data_keys, fields, retention_buckets, expiry_keys")
        raw.driver_connection.autocommit = False  # back to the pool as it came
    raw.close()


def run_retention_benchmarks(
    open_db: Callable[[], tuple[SqlVaultStore, str, str | None]], subjects: int, runs: int, log: Callable[[str], None]
) -> list[Figure]:
    """Measure the figures of the module doc at ``subjects`` expired subjects."""
    shredded = Figure(f"sweep: keys shredded, {subjects:,} expired", "s", lower_is_better=True, target="<= 3 s at 1M")
    gone = Figure(f"sweep: every row gone, {subjects:,} expired", "s", lower_is_better=True, target="<= 30 s at 1M")
    idle = Figure(f"sweep with nothing to do, {subjects:,} kept", "s", lower_is_better=True, target="<= 1 s at 10M")
    memory = Figure(
        f"sweep: peak memory, {subjects:,} expired", "MB", lower_is_better=True, target="< 300 MB at any size"
    )
    policy = load_policy(POLICY)
    keydir = tempfile.TemporaryDirectory()
    key = os.path.join(keydir.name, "bench.key")
    keyring = init_key_file(key)
    for run in range(runs + 1):
        store, url, schema = open_db()
        retention = SqlRetentionStore(store.engine)
        engine = Engine(policy, retention, keyring, FixedClock(NOW))
        _load(store, engine, subjects, NOW + timedelta(days=92), "x")
        log(f"retention run {run}: {subjects:,} expired buckets loaded")
        when = (NOW + timedelta(days=200)).isoformat()
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, url, schema or "", POLICY, key, when],
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(child.stdout)
        _load(store, engine, subjects, NOW + timedelta(days=3650), "k")
        start = time.perf_counter()
        engine.sweep(NOW + timedelta(days=200))
        nothing = time.perf_counter() - start
        retention.close()
        if run == 0 and runs > 0:
            continue  # warm-up
        shredded.runs.append(got["keys"])
        gone.runs.append(got["total"])
        memory.runs.append(got["rss_mb"])
        idle.runs.append(nothing)
    keydir.cleanup()
    return [shredded, gone, memory, idle]
