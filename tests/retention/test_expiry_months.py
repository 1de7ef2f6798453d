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
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import func, inspect, make_url, select, text
from sqlalchemy.exc import DBAPIError

from jikimi.adapters.storage import normalise_url
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
from jikimi.errors import VaultError
from jikimi.policy import load_policy, load_policy_text
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing, init_key_file
from jikimi.vault.envelope import EXPIRY_PREFIX

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


@pytest.mark.postgres
def test_the_vault_refuses_an_expiry_key_of_a_reclaimed_month(make_any: Make) -> None:
    """Straight through the vault (below retention, which puts such a bucket under the KEK): a clear error, not the
    database's "no partition" one, and nothing written."""
    mm = make_any("1mm")
    if _db(mm).dialect.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    sid = member(mm, 1)
    mm.record(sid, "visit_log", VISIT)
    mm.sweep(datetime(2026, 7, 5, tzinfo=UTC))
    assert month_state(mm, JUNE) == DROPPED
    with pytest.raises(VaultError, match=r"expiry month 2026-06 is closed"):
        mm.vault.new_expiry_key(date(2026, 6, 20))
    with _db(mm).connect() as conn:
        june_keys = (
            select(func.count()).select_from(data_keys).where(data_keys.c.bucket.like(f"{EXPIRY_PREFIX}2026-06%"))
        )
        assert conn.scalar(june_keys) == 0


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
    assert "expiry months [202606]: partitions not dropped (SQLSTATE 42883)" in caplog.text
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
from jikimi.policy import load_policy, load_policy_text
from jikimi.vault import LocalKeyring
url, schema, policy, key, now = sys.argv[1:6]
batch = SqlRetentionSession._month_batch
def dies_inside(self, limit, today):
    if self._month is not None:
        os._exit(9)  # a slice of the month committed; more are left
    return batch(self, limit, today)
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
    records = {sid: mm.retention.records(sid) for sid in (a, b, c)}
    assert [r.kind for r in records[a]] == ["visit_log"]
    assert before[a] == {"live": {KEK_PART}, visit: {JUNE}}
    assert {KEK_PART} not in before[c].values()
    db = _db(mm)
    downgrade(db, "0009")
    with db.connect() as conn:
        assert "part" not in {col["name"] for col in inspect(conn).get_columns("fields")}
    with db.connect() as conn:  # the records' own table again, one row per record
        assert conn.execute(text("SELECT count(*) FROM retention_records")).scalar() == 2
    upgrade(db)
    assert {sid: parts(mm, sid) for sid in (a, b, c)} == before
    assert {sid: mm.retention.records(sid) for sid in (a, b, c)} == records
    with db.connect() as conn:
        assert schema_differences(conn, {"fields", "retention_buckets", "expiry_months"}) == []
        # What Alembic does not compare: the keys, and on PostgreSQL the partitioning.
        keys = {t: inspect(conn).get_pk_constraint(t)["constrained_columns"] for t in ("fields", "retention_buckets")}
        assert keys == {
            "fields": ["subject", "bucket", "item", "part"],
            "retention_buckets": ["subject", "bucket", "part"],
        }
        if db.dialect.name == "postgresql":
            how = text("SELECT pg_get_partkeydef(to_regclass(:t))")
            assert {t: conn.execute(how, {"t": t}).scalar() for t in keys} == dict.fromkeys(keys, "LIST (part)")
    if db.dialect.name == "postgresql":
        assert {"fields_kek", "fields_2026_06", "retention_buckets_2026_06"} <= partitions(mm)
    assert mm.vault.get(a, None, visit) == VISIT
    clock.set(datetime(2026, 7, 5, tzinfo=UTC))
    assert ("visit_logs", 2) in [(r.rule, r.buckets) for r in mm.sweep().by_rule]
    assert stored(mm, a) == {"live": LIVE_ITEMS}


@pytest.mark.postgres
def test_the_current_month_stays_open_until_it_is_over(make_any: Make, clock: FixedClock) -> None:
    mm = make_any("1mm")
    if _db(mm).dialect.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    early, late = member(mm, 1), member(mm, 2)
    mm.record(early, "visit_log", VISIT)  # due 2026-06-02
    clock.set(datetime(2026, 6, 5, tzinfo=UTC))
    assert [(c.rule, c.buckets) for c in mm.sweep().by_rule] == [("visit_logs", 1)]  # the 2nd's key
    assert month_state(mm, JUNE) == OPEN  # no key of June is kept now, but June is not over
    visit = f"visit_logs/{mm.record(late, 'visit_log', VISIT, datetime(2026, 3, 20, tzinfo=UTC))}"  # due June 20
    assert parts(mm, late)[visit] == {JUNE}  # under its day's key, not the KEK
    clock.set(datetime(2026, 7, 1, tzinfo=UTC))
    assert [(c.rule, c.buckets) for c in mm.sweep().by_rule] == [("visit_logs", 1)]
    assert month_state(mm, JUNE) == DROPPED  # over now
    assert stored(mm, late) == {"live": LIVE_ITEMS}


@pytest.mark.postgres
@pytest.mark.parametrize("held", [False, True], ids=["released", "held"])
def test_a_hold_whose_move_was_cut_short_is_not_lost_with_its_month(
    make_any: Make, clock: FixedClock, held: bool
) -> None:
    """A legal hold's move cut short after the key went under the KEK (and its rows to the KEK's part) but before
    its listing was cleared: the listing stays in June. Released meanwhile, the bucket is due and goes with June (its
    rows in the KEK's part too); still held, it moves out of June, keeps its data, and is not dropped."""
    mm = make_any("1mm")
    if _db(mm).dialect.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    sid = member(mm, 1)
    visit = f"visit_logs/{mm.record(sid, 'visit_log', VISIT)}"
    assert mm.vault.move_key(sid, visit, None)  # the first half of the move, alone
    with _db(mm).connect() as conn:
        listing = conn.execute(select(retention_buckets.c.part).where(retention_buckets.c.subject == sid)).scalar()
    assert listing == JUNE
    assert parts(mm, sid)[visit] == {JUNE, KEK_PART}  # listing in June, rows under the KEK
    if held:
        # Placed now, it would finish the move; as if placed while the move was cut short: the row alone.
        with _db(mm).begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO legal_holds (subject, reason, placed_at, placed_by) "
                    "VALUES (:s, '분쟁 해결 시까지', now(), 'op-1')"
                ),
                {"s": sid},
            )
    clock.set(datetime(2026, 7, 5, tzinfo=UTC))
    mm.sweep()
    assert month_state(mm, JUNE) == DROPPED
    if held:
        assert mm.vault.get(sid, None, visit) == VISIT
        assert parts(mm, sid)[visit] == {KEK_PART}
        assert [k.expiry_key for k in mm.retention.kept(sid)] == [None]
    else:
        assert stored(mm, sid) == {"live": LIVE_ITEMS}  # no ciphertext left without its key
        assert mm.vault.get(sid, None, visit) == {}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def until_withdrawal(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[Engine]:
    """1mm with visit logs kept until 3 months after withdrawal (a clock that starts at the end, not the record's
    date), on SQLite or PostgreSQL."""
    text = (EXAMPLES / "1mm.yaml").read_text(encoding="utf-8")
    visit_rule = "record_kinds: [visit_log]\n    period: 3m\n    starts: transaction"
    assert visit_rule in text
    policy = load_policy_text(text.replace(visit_rule, visit_rule.replace("transaction", "withdrawal")))
    if request.param == "sqlite":
        store = open_retention_store(f"sqlite:///{tmp_path / 'w.db'}")
    else:
        url, schema = request.getfixturevalue("postgres_schema")
        store = open_retention_store(url, schema=schema)
    yield Engine(policy, store, LocalKeyring.generate(), clock, passwords=PasswordHashing(Argon2Params.cheap()))
    store.close()


def test_a_buckets_rows_follow_its_key_when_its_clock_starts_or_it_is_stored_again(
    until_withdrawal: Engine, clock: FixedClock
) -> None:
    """A record kept until some time after withdrawal waits under the KEK, with no expiry; at the withdrawal its key
    goes under its day's expiry key, and its rows and listing to that month. Stored again under another expiry key,
    its rows follow the key."""
    mm = until_withdrawal
    sid = member(mm, 1)
    visit = f"visit_logs/{mm.record(sid, 'visit_log', VISIT)}"
    assert parts(mm, sid)[visit] == {KEK_PART}
    assert [k.expiry_key for k in mm.retention.kept(sid)] == [None]
    clock.set(datetime(2026, 4, 10, tzinfo=UTC))
    mm.end_purpose(sid)  # withdrawn: kept until 2026-07-10
    (kept,) = [k for k in mm.retention.kept(sid) if k.bucket == visit]
    assert kept.expiry_key is not None
    assert kept.expiry_key.startswith(EXPIRY_PREFIX + "2026-07-10/")
    assert parts(mm, sid)[visit] == {202607}
    assert mm.vault.get(sid, None, visit) == VISIT
    other = mm.vault.new_expiry_key(date(2031, 12, 1))
    mm.vault.put(sid, {"access_log": "GET /again"}, visit, expiry_key=other)
    with _db(mm).connect() as conn:
        rows = conn.execute(select(fields.c.part).where(fields.c.subject == sid, fields.c.bucket == visit))
        assert set(rows.scalars()) == {203112}  # every row of the bucket, not only the one written again
    assert mm.vault.get(sid, None, visit) == {"access_log": "GET /again", "ip_address": "192.0.2.1"}


@pytest.mark.postgres
def test_writers_opening_months_at_once_do_not_wait_for_each_other(make_any: Make) -> None:
    """A month's partitions are made in a transaction of their own: a writer whose transaction has opened one month
    and is still open does not hold up another opening a second month (nor could the two deadlock)."""
    mm = make_any("1mm")
    if _db(mm).dialect.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    store, at = _store(mm), datetime(2026, 3, 2, tzinfo=UTC)
    opened, finish = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        with store.retention_transaction() as session:
            results["june"] = session.open_expiry_month(date(2026, 6, 10), at)
            opened.set()
            finish.wait(30)
            results["july, after"] = session.open_expiry_month(date(2026, 7, 10), at)

    thread = threading.Thread(target=first)
    thread.start()
    assert opened.wait(30)
    with store.retention_transaction() as session:  # while the first writer's transaction is open
        results["july"] = session.open_expiry_month(date(2026, 7, 10), at)
        results["june, too"] = session.open_expiry_month(date(2026, 6, 20), at)
    finish.set()
    thread.join(30)
    assert not thread.is_alive()
    assert results == {"june": True, "july": True, "june, too": True, "july, after": True}
    assert {"fields_2026_06", "fields_2026_07", "retention_buckets_2026_07"} <= partitions(mm)


@pytest.mark.postgres
def test_a_role_that_cannot_make_partitions_keeps_buckets_under_the_kek(
    postgres_schema: tuple[str, str], tmp_path: Path, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The application's role may read and write the tables without owning them: it cannot attach partitions, so a
    month it would open is listed without any, and its buckets go under the KEK (shredded one by one)."""
    url, schema = postgres_schema
    owner = open_retention_store(url, schema=schema)  # made by the owner (``jikimi db upgrade``)
    role = f"jikimi_app_{os.getpid()}"
    with owner.engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"'))
    app = open_retention_store(str(make_url(normalise_url(url)).set(username=role)), schema=schema)
    try:
        mm = Engine(load_policy(EXAMPLES / "1mm.yaml"), app, init_key_file(tmp_path / "k.key"), clock)
        sid = member(mm, 1)
        with caplog.at_level(logging.WARNING, logger="jikimi.adapters.storage.partitions"):
            visit = f"visit_logs/{mm.record(sid, 'visit_log', VISIT)}"
        assert "expiry month 202606: partitions not made (SQLSTATE 42501)" in caplog.text  # must be owner
        assert parts(mm, sid)[visit] == {KEK_PART}
        assert month_state(mm, JUNE) == DROPPED  # listed without partitions: not tried again
        assert [k.expiry_key for k in mm.retention.kept(sid)] == [None]
        assert [(c.rule, c.buckets) for c in mm.sweep(datetime(2026, 6, 3, tzinfo=UTC)).by_rule] == [("visit_logs", 1)]
        assert stored(mm, sid) == {"live": LIVE_ITEMS}
    finally:
        app.close()
        with owner.engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        owner.close()


@pytest.mark.postgres
def test_a_month_another_sweep_is_dropping_is_left_to_it(make_any: Make, clock: FixedClock) -> None:
    mm, subjects = _june_swept(make_any, clock)
    with _db(mm).connect() as other:  # another sweep, in the middle of dropping June
        space = other.execute(text("SELECT current_schema()")).scalar()
        other.execute(text("SELECT pg_advisory_lock(hashtext(:space), :month)"), {"space": space, "month": JUNE})
        assert [(c.rule, c.buckets) for c in mm.sweep().by_rule] == [("visit_logs", 3)]
        assert month_state(mm, JUNE) == CLOSED  # not touched by this one
        assert "fields_2026_06" in partitions(mm)
        other.execute(text("SELECT pg_advisory_unlock(hashtext(:space), :month)"), {"space": space, "month": JUNE})
    assert mm.sweep().by_rule == ()
    assert month_state(mm, JUNE) == DROPPED
    for sid in subjects:
        assert stored(mm, sid) == {"live": LIVE_ITEMS}
