"""Expiry months (docs/retention.md, "Expiry months"): rows kept under an expiry key are stored in their expiry
month's part; on PostgreSQL each month is a partition of ``fields`` and ``retention_buckets``, and once no key of its
days is kept the sweep drops it whole (R-RET-1, R-SEC-27: destroyed, and the storage reclaimed without deleting rows
one by one), while held buckets (legal hold) and live data, in the KEK's part, stay.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from jikimi.adapters.storage.partitions import (
    CLOSED,
    DROPPED,
    KEK_PART,
    OPEN,
    month_days,
    month_of,
    part_of,
    partition,
)
from jikimi.adapters.storage.retention_store import SqlRetentionStore, open_retention_store
from jikimi.adapters.storage.retention_tables import PURGED, expiry_keys, expiry_months, retention_buckets
from jikimi.adapters.storage.schema import downgrade, upgrade
from jikimi.adapters.storage.tables import data_keys, fields
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.policy import load_policy
from jikimi.vault import init_key_file

from .conftest import EXAMPLES, T0, Make, stored
from .test_sweep import member

DAY = timedelta(days=1)
VISIT = {"access_log": "GET /", "ip_address": "192.0.2.1"}
JUNE = 202606  # a visit log recorded at T0 (2026-03-02) is kept 3 months: it expires on 2026-06-02
LIVE_ITEMS = {"mobile_phone", "email", "login_id"}


def _store(engine: Engine) -> SqlRetentionStore:
    store = engine.store
    assert isinstance(store, SqlRetentionStore)
    return store


def _db(engine: Engine) -> SqlEngine:
    return _store(engine).engine


def parts(engine: Engine, subject: str) -> dict[str, set[int]]:
    """Per bucket of ``subject``: the parts its field rows and its bucket row are in."""
    out: dict[str, set[int]] = {}
    with _db(engine).connect() as conn:
        for table in (fields, retention_buckets):
            query = select(table.c.bucket, table.c.part).where(table.c.subject == subject).distinct()
            for bucket, part in conn.execute(query):
                out.setdefault(bucket, set()).add(part)
    return out


def partitions(engine: Engine) -> set[str]:
    """PostgreSQL: the partitions of the partitioned tables."""
    with _db(engine).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent IN (to_regclass('fields'), to_regclass('retention_buckets'))"
            )
        )
        return {name for (name,) in rows}


def month_state(engine: Engine, month: int) -> int | None:
    m = expiry_months
    with _db(engine).connect() as conn:
        state: int | None = conn.scalar(select(m.c.state).where(m.c.month == month))
        return state


def test_a_rows_part_is_its_expiry_month_or_the_keks() -> None:
    assert part_of("expiry:2026-06-02/0a1b2c3d4e5f") == 202606
    assert part_of("expiry:2031-12-31/0a1b2c3d4e5f") == 203112
    assert part_of("kek-1") == part_of(None) == KEK_PART
    assert month_of(date(2026, 6, 30)) == 202606
    assert month_days(202612) == (date(2026, 12, 1), date(2027, 1, 1))
    assert partition("fields", 202606) == "fields_2026_06"
    assert partition("retention_buckets", KEK_PART) == "retention_buckets_kek"


def test_kept_rows_are_stored_in_their_expiry_month_live_rows_under_the_kek(make_any: Make) -> None:
    mm = make_any("1mm")
    sid = member(mm, 1)
    visit = f"visit_logs/{mm.record(sid, 'visit_log', VISIT)}"
    payment = f"payment_records/{mm.record(sid, 'payment_record', {'billing_record': 'TEST 결제'})}"
    # A bucket row and its field rows share one part: the month of its key's day (5 years for a payment record).
    assert parts(mm, sid) == {"live": {KEK_PART}, visit: {JUNE}, payment: {203103}}
    assert month_state(mm, JUNE) == month_state(mm, 203103) == OPEN
    if _db(mm).dialect.name == "postgresql":
        assert {"fields_kek", "fields_2026_06", "retention_buckets_2026_06", "fields_2031_03"} <= partitions(mm)
        with _db(mm).connect() as conn:
            where = text("SELECT DISTINCT tableoid::regclass::text FROM fields WHERE subject = :s AND bucket = :b")
            assert conn.execute(where, {"s": sid, "b": visit}).scalars().all() == ["fields_2026_06"]
    assert mm.vault.get(sid, None, visit) == VISIT  # read across the months, as before


def test_a_held_bucket_moves_to_the_keks_part_with_its_key(make_any: Make) -> None:
    mm = make_any("1mm")
    sid = member(mm, 1)
    visit = f"visit_logs/{mm.record(sid, 'visit_log', VISIT)}"
    assert parts(mm, sid)[visit] == {JUNE}
    hold = mm.place_hold(sid, "분쟁 해결 시까지 (사건 TEST-3)", "op-1")
    assert parts(mm, sid)[visit] == {KEK_PART}  # no month's drop can reach it
    mm.release_hold(hold, "op-1")
    assert parts(mm, sid)[visit] == {KEK_PART}  # a released hold does not move data back: it is shredded alone


@pytest.mark.postgres
def test_a_sweep_drops_the_months_that_are_over_and_nothing_else(
    make_any: Make, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    mm = make_any("1mm")
    if _db(mm).dialect.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    june = [member(mm, n) for n in range(1, 5)]
    july = member(mm, 5)
    visits = {sid: f"visit_logs/{mm.record(sid, 'visit_log', VISIT, T0 + n * 10 * DAY)}" for n, sid in enumerate(june)}
    # Recorded at T0 + 40 days: due 2026-07-11, in July, which is not over when the sweep runs.
    july_visit = f"visit_logs/{mm.record(july, 'visit_log', VISIT, T0 + 40 * DAY)}"
    held = june[0]
    mm.place_hold(held, "분쟁 해결 시까지 (사건 TEST-4)", "op-1")
    assert {"fields_2026_06", "fields_2026_07"} <= partitions(mm)
    clock.set(datetime(2026, 7, 5, tzinfo=UTC))  # June is over; July's key (the 11th) is kept
    report = mm.sweep()
    assert [(c.rule, c.buckets) for c in report.by_rule] == [("visit_logs", 3)]  # June's three, not the held one
    assert not {"fields_2026_06", "retention_buckets_2026_06"} & partitions(mm)  # dropped whole
    assert {"fields_2026_07", "retention_buckets_2026_07"} <= partitions(mm)
    assert month_state(mm, JUNE) == DROPPED
    with _db(mm).connect() as conn:
        e = expiry_keys
        june_keys = select(e.c.state).where(e.c.day >= date(2026, 6, 1), e.c.day < date(2026, 7, 1))
        assert set(conn.scalars(june_keys)) == {PURGED}
    for sid in june[1:]:
        # Key, fields and bucket gone: nothing half-destroyed, only live data left.
        assert stored(mm, sid) == {"live": LIVE_ITEMS}
        assert parts(mm, sid) == {"live": {KEK_PART}}
    assert mm.vault.get(held, None, visits[held]) == VISIT  # held: in the KEK's part, out of June's reach
    assert mm.vault.get(july, None, july_visit) == VISIT
    assert mm.vault.get(july)["login_id"] == "user0005"
    clock.set(datetime(2026, 8, 1, tzinfo=UTC))
    assert [(c.rule, c.buckets) for c in mm.sweep().by_rule] == [("visit_logs", 1)]  # July's, by its key
    assert not {"fields_2026_07", "retention_buckets_2026_07"} & partitions(mm)
    assert stored(mm, july) == {"live": LIVE_ITEMS}
    assert "partitions not dropped" not in caplog.text


@pytest.mark.postgres
def test_a_month_being_reclaimed_takes_no_new_key(make_any: Make, clock: FixedClock) -> None:
    """A bucket that would go under a key of a closed month (a writer whose clock is behind the sweep's) goes under
    the KEK instead, in the KEK's part, and is shredded on its own."""
    mm = make_any("1mm")
    if _db(mm).dialect.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    first, late = member(mm, 1), member(mm, 2)
    mm.record(first, "visit_log", VISIT)
    mm.sweep(datetime(2026, 7, 5, tzinfo=UTC))  # as of July: June goes
    assert month_state(mm, JUNE) == DROPPED
    clock.set(datetime(2026, 3, 20, tzinfo=UTC))  # this writer still lives in March
    visit = f"visit_logs/{mm.record(late, 'visit_log', VISIT)}"  # due 2026-06-20
    assert parts(mm, late)[visit] == {KEK_PART}
    assert [k.expiry_key for k in mm.retention.kept(late)] == [None]
    assert "fields_2026_06" not in partitions(mm)
    assert [(c.rule, c.buckets) for c in mm.sweep(datetime(2026, 7, 5, tzinfo=UTC)).by_rule] == [("visit_logs", 1)]
    assert stored(mm, late) == {"live": LIVE_ITEMS}


def june_rows(engine: Engine) -> tuple[int, int]:
    """(bucket rows, field rows) of June's part, wherever they are stored."""
    with _db(engine).connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.scalar(select(func.count()).select_from(t).where(t.c.part == JUNE)) or 0)
            for t in (retention_buckets, fields)
        )


def _june_swept(make_any: Make, clock: FixedClock) -> tuple[Engine, list[str]]:
    mm = make_any("1mm")
    if _db(mm).dialect.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    subjects = [member(mm, n) for n in range(1, 4)]
    for sid in subjects:
        mm.record(sid, "visit_log", VISIT)
    clock.set(datetime(2026, 7, 5, tzinfo=UTC))
    return mm, subjects


def _detach_fields_june(self: SqlRetentionStore, *, interrupted: bool) -> None:
    """The first step of the month's drop, alone: detach June's partition of ``fields``; ``interrupted``: cancelled
    while it waits for a reader, which leaves it "detach pending"."""
    blocker = self.engine.connect()
    blocker.begin()
    if interrupted:
        blocker.exec_driver_sql("SELECT 1 FROM fields LIMIT 1")  # a reader the detach must wait for
    with self.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("SET statement_timeout = '300ms'")
        try:
            conn.exec_driver_sql("ALTER TABLE fields DETACH PARTITION fields_2026_06 CONCURRENTLY")
        except DBAPIError:
            assert interrupted
        finally:
            conn.exec_driver_sql("RESET statement_timeout")
    blocker.rollback()
    blocker.close()


@pytest.mark.postgres
@pytest.mark.parametrize("interrupted", [False, True], ids=["detached", "detach-pending"])
def test_a_drop_cut_short_is_finished_by_the_next_sweep(
    make_any: Make, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, interrupted: bool
) -> None:
    """Killed after detaching the month's partition of ``fields`` (or while detaching it): the month stays closed, its
    data unreadable (its keys are gone), its rows left to the drop (the row-by-row purge spares a closed month), and
    the next sweep finishes the detach, detaches the rest and drops it all, the detached table too."""
    mm, subjects = _june_swept(make_any, clock)
    monkeypatch.setattr(
        SqlRetentionStore, "_drop_months", lambda self, months: _detach_fields_june(self, interrupted=interrupted)
    )
    assert [(c.rule, c.buckets) for c in mm.sweep().by_rule] == [("visit_logs", 3)]
    assert month_state(mm, JUNE) == CLOSED
    with _db(mm).connect() as conn:
        keys = select(func.count()).where(data_keys.c.bucket.like("visit_logs/%"))
        assert conn.scalar(keys) == 0  # every slice done: the month's data keys are gone
        assert conn.scalar(text("SELECT count(*) FROM fields_2026_06")) == 6  # rows not yet dropped
        pending = text("SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass('fields_2026_06')")
        assert conn.scalar(pending) is (True if interrupted else None)
    assert june_rows(mm) == (3, 0)  # the buckets' partition is still there; the fields' one is out of the table
    monkeypatch.undo()
    assert mm.sweep().by_rule == ()  # nothing is destroyed twice
    assert month_state(mm, JUNE) == DROPPED
    assert not {"fields_2026_06", "retention_buckets_2026_06"} & partitions(mm)
    with _db(mm).connect() as conn:
        assert conn.scalar(text("SELECT to_regclass('fields_2026_06')")) is None
    assert june_rows(mm) == (0, 0)
    for sid in subjects:
        assert stored(mm, sid) == {"live": LIVE_ITEMS}


@pytest.mark.postgres
def test_a_drop_that_fails_is_logged_and_tried_again(
    make_any: Make, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    mm, subjects = _june_swept(make_any, clock)
    from jikimi.adapters.storage import retention_store

    monkeypatch.setattr(retention_store, "_PG_ATTACHED", "SELECT no_such_function(%s, %s)")  # the detach fails
    with caplog.at_level(logging.WARNING, logger="jikimi.adapters.storage.retention_store"):
        assert [(c.rule, c.buckets) for c in mm.sweep().by_rule] == [("visit_logs", 3)]
    assert "expiry month 202606: partitions not dropped (SQLSTATE 42883)" in caplog.text
    assert month_state(mm, JUNE) == CLOSED
    assert june_rows(mm) == (3, 6)  # unreadable (no key left), not deleted row by row: the month is closed
    monkeypatch.undo()
    assert mm.sweep().by_rule == ()
    assert month_state(mm, JUNE) == DROPPED
    assert june_rows(mm) == (0, 0)
    for sid in subjects:
        assert stored(mm, sid) == {"live": LIVE_ITEMS}


# The sweep in a child process that dies (os._exit) after the first committed slice of a closed month (slices of 2).
KILLED_IN_A_MONTH = """
import os, sys
from datetime import datetime
from jikimi.adapters.storage.retention_store import SqlRetentionSession, open_retention_store
from jikimi.engine import Engine
from jikimi.policy import load_policy
from jikimi.vault import LocalKeyring
url, schema, policy, key, now = sys.argv[1:6]
batch = SqlRetentionSession._month_batch
def dies_inside(self, limit):
    if self._month is not None:
        os._exit(9)  # a slice of the month committed; more are left
    return batch(self, limit)
SqlRetentionSession._month_batch = dies_inside
engine = Engine(load_policy(policy), open_retention_store(url, schema=schema), LocalKeyring.from_file(key))
engine.retention.sweep(datetime.fromisoformat(now), chunk=2)
"""


@pytest.mark.postgres
def test_a_sweep_killed_inside_a_month_is_finished_by_the_next(
    postgres_schema: tuple[str, str], tmp_path: object
) -> None:
    url, schema = postgres_schema
    key = os.path.join(str(tmp_path), "jikimi.key")
    policy = EXAMPLES / "1mm.yaml"
    store = open_retention_store(url, schema=schema)
    engine = Engine(load_policy(policy), store, init_key_file(key), FixedClock(T0))
    subjects = [member(engine, n) for n in range(1, 8)]
    for sid in subjects:
        engine.record(sid, "visit_log", VISIT)
    now = datetime(2026, 7, 5, tzinfo=UTC).isoformat()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_IN_A_MONTH, url, schema, str(policy), key, now], env=env, check=False
    )
    assert killed.returncode == 9
    assert month_state(engine, JUNE) == CLOSED
    with store.engine.connect() as conn:
        left = conn.scalar(select(func.count()).where(data_keys.c.bucket.like("visit_logs/%")))
        assert left == 5  # one slice of two done
        logged = conn.scalar(text("SELECT coalesce(sum(subjects), 0) FROM destruction_log WHERE rule = 'visit_logs'"))
    assert logged == 7  # the day was logged before the purge began
    report = engine.sweep(datetime.fromisoformat(now))
    assert report.by_rule == ()  # logged once, by the killed run
    assert month_state(engine, JUNE) == DROPPED
    for sid in subjects:
        assert stored(engine, sid) == {"live": LIVE_ITEMS}
    store.close()


def test_revision_0010_keeps_every_row_in_its_part_both_ways(
    make_any: Make, clock: FixedClock, schema_differences: Callable[..., list[object]]
) -> None:
    mm = make_any("1mm")
    a, b, c = member(mm, 1), member(mm, 2), member(mm, 3)
    visit = f"visit_logs/{mm.record(a, 'visit_log', VISIT)}"
    mm.record(b, "visit_log", VISIT, T0 - 200 * DAY)  # its day was over when it was made: under the KEK
    mm.end_purpose(c)  # withdrawn: what the policy keeps goes under its expiry day's key
    before = {sid: parts(mm, sid) for sid in (a, b, c)}
    assert before[a] == {"live": {KEK_PART}, visit: {JUNE}}
    assert {KEK_PART} not in before[c].values()
    db = _db(mm)
    downgrade(db, "0009")
    with db.connect() as conn:
        assert "part" not in {col["name"] for col in inspect(conn).get_columns("fields")}
    upgrade(db)
    assert {sid: parts(mm, sid) for sid in (a, b, c)} == before
    with db.connect() as conn:
        assert schema_differences(conn, {"fields", "retention_buckets", "expiry_months"}) == []
    if db.dialect.name == "postgresql":
        assert {"fields_kek", "fields_2026_06", "retention_buckets_2026_06"} <= partitions(mm)
    assert mm.vault.get(a, None, visit) == VISIT
    clock.set(datetime(2026, 7, 5, tzinfo=UTC))
    assert ("visit_logs", 2) in [(r.rule, r.buckets) for r in mm.sweep().by_rule]
    assert stored(mm, a) == {"live": LIVE_ITEMS}
