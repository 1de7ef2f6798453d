"""Expiry keys (docs/retention.md): the data keys of every bucket due on one UTC day are wrapped under one expiry key,
and the sweep shreds the whole day by deleting it (R-SEC-27), once the day is over (R-RET-1); held buckets leave
their day's key (issue 6, legal hold); a crash between the key's deletion and its log is finished by the next run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import delete, func, inspect, select

from jikimi.adapters.storage.retention_store import SqlRetentionSession, SqlRetentionStore, open_retention_store
from jikimi.adapters.storage.retention_tables import KEPT, PURGED, destruction_log, expiry_keys, retention_buckets
from jikimi.adapters.storage.schema import downgrade, upgrade
from jikimi.adapters.storage.tables import data_keys
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.errors import SchemaError
from jikimi.policy import load_policy
from jikimi.retention.ports import RuleCount
from jikimi.vault import LocalKeyring
from jikimi.vault.envelope import EXPIRY_PREFIX, EXPIRY_SUBJECT

from .conftest import EXAMPLES, T0, Make, stored
from .test_sweep import member

DAY = timedelta(days=1)
VISIT = {"access_log": "GET /", "ip_address": "192.0.2.1"}
EXPIRES = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)  # T0 + 3 months: a visit log recorded at T0


def _store(engine: Engine) -> SqlRetentionStore:
    store = engine.store
    assert isinstance(store, SqlRetentionStore)
    return store


def days(engine: Engine) -> dict[date, int]:
    """Expiry keys by day and state, as the data file lists them."""
    e = expiry_keys
    with _store(engine).engine.connect() as conn:
        return {d: s for d, s in conn.execute(select(e.c.day, e.c.state).order_by(e.c.day))}  # noqa: C416


def wrapped_by(engine: Engine, subject: str, bucket: str) -> str:
    k = data_keys
    with _store(engine).engine.connect() as conn:
        kek = conn.scalar(select(k.c.kek_id).where(k.c.subject == subject, k.c.bucket == bucket))
    assert kek is not None
    return str(kek)


def logged(engine: Engine) -> list[tuple[str, int]]:
    d = destruction_log
    with _store(engine).engine.connect() as conn:
        return [(r, n) for r, n in conn.execute(select(d.c.rule, d.c.subjects).where(d.c.rule == "visit_logs"))]


def expiry_key_rows(engine: Engine) -> int:
    with _store(engine).engine.connect() as conn:
        return int(conn.scalar(select(func.count()).where(data_keys.c.subject == EXPIRY_SUBJECT)) or 0)


def test_a_day_of_buckets_goes_with_its_expiry_key_once_the_day_is_over(make_any: Make, clock: FixedClock) -> None:
    mm = make_any("1mm")
    same_day = [member(mm, n) for n in range(1, 4)]
    buckets = {sid: mm.record(sid, "visit_log", VISIT) for sid in same_day}
    later = member(mm, 4)
    mm.record(later, "visit_log", VISIT, T0 + DAY)  # due a day later: another day, another key
    assert days(mm) == {EXPIRES.date(): KEPT, EXPIRES.date() + DAY: KEPT}
    names = {wrapped_by(mm, sid, f"visit_logs/{rid}") for sid, rid in buckets.items()}
    assert len(names) == 1
    assert next(iter(names)).startswith(EXPIRY_PREFIX + "2026-06-02/")

    clock.set(EXPIRES - timedelta(minutes=1))
    assert mm.sweep().by_rule == ()  # the day before the period ends: nothing goes
    clock.set(EXPIRES + DAY)  # the first day is over; the later bucket is due this very minute, its day is not over
    report = mm.retention.sweep(chunk=2)  # the purge in slices of 2, in subject order across transactions
    assert [(c.rule, c.buckets, c.fields) for c in report.by_rule] == [("visit_logs", 4, 8)]
    assert sorted(logged(mm)) == [("visit_logs", 1), ("visit_logs", 3)]  # the bucket alone, and the day's key
    for sid in [*same_day, later]:
        assert stored(mm, sid) == {"live": {"mobile_phone", "email", "login_id"}}
    assert days(mm) == {EXPIRES.date(): PURGED, EXPIRES.date() + DAY: KEPT}  # shredded, and nothing left
    assert expiry_key_rows(mm) == 1

    clock.set(EXPIRES + 2 * DAY)  # the second day is over: its key goes; its bucket went already, nothing twice
    assert mm.sweep().by_rule == ()
    assert sorted(logged(mm)) == [("visit_logs", 1), ("visit_logs", 3)]
    assert days(mm) == {EXPIRES.date(): PURGED, EXPIRES.date() + DAY: PURGED}
    assert expiry_key_rows(mm) == 0


def test_a_legal_hold_takes_the_subjects_keys_out_of_their_day(make_any: Make, clock: FixedClock) -> None:
    mm = make_any("1mm")
    held, free = member(mm, 1), member(mm, 2)
    held_bucket = f"visit_logs/{mm.record(held, 'visit_log', VISIT)}"
    mm.record(free, "visit_log", VISIT)
    assert wrapped_by(mm, held, held_bucket).startswith(EXPIRY_PREFIX)
    hold = mm.place_hold(held, "분쟁 해결 시까지 (사건 TEST-2)", "op-1")
    assert not wrapped_by(mm, held, held_bucket).startswith(EXPIRY_PREFIX)  # back under the KEK
    assert [k.expiry_key for k in mm.retention.kept(held)] == [None]
    clock.set(EXPIRES + DAY)
    assert [(c.rule, c.buckets) for c in mm.sweep().by_rule] == [("visit_logs", 1)]  # the day's key, with `free`
    assert stored(mm, free) == {"live": {"mobile_phone", "email", "login_id"}}
    assert mm.vault.get(held, None, held_bucket) == VISIT  # its day's key is gone; its own is not
    mm.release_hold(hold, "op-1")
    assert [(c.rule, c.buckets) for c in mm.sweep().by_rule] == [("visit_logs", 1)]  # now, on its own
    assert stored(mm, held) == {"live": {"mobile_phone", "email", "login_id"}}


def test_an_expiry_key_deleted_by_a_killed_sweep_is_logged_once_by_the_next(make_any: Make, clock: FixedClock) -> None:
    """The kill between the key's commit and its log's: the data is already unreadable and unsearchable; the next
    run logs the day, once (tests/retention/test_sweep.py kills real processes)."""
    mm = make_any("1mm")
    a, b = member(mm, 1), member(mm, 2)
    for sid in (a, b):
        mm.record(sid, "complaint_record", {"inquiry_email": f"{sid}@example.com"})  # kept 3 years, searchable
    bucket = f"complaint_records/{mm.retention.records(a)[0].id}"
    assert mm.vault.find_by("inquiry_email", f"{a}@example.com") == [a]
    (name,) = {wrapped_by(mm, sid, f"complaint_records/{mm.retention.records(sid)[0].id}") for sid in (a, b)}
    assert mm.vault.shred_expiry_keys([name]) == 1  # the sweep's first step, and then the kill
    assert mm.vault.get(a, None, bucket) == {}  # as a deleted data key: nothing to read
    assert a not in mm.vault.get_many([a, b], None, bucket)
    assert [k.bucket for k in mm.retention.kept(a)] == []  # destroyed, though its day is not logged yet
    assert mm.vault.find_by("inquiry_email", f"{a}@example.com") == []
    clock.set(datetime(2029, 3, 3, 3, 0, tzinfo=UTC))
    assert [(c.rule, c.buckets) for c in mm.sweep(dry_run=True).by_rule] == [("complaint_records", 2)]
    assert [(c.rule, c.buckets) for c in mm.sweep().by_rule] == [("complaint_records", 2)]
    assert mm.sweep().by_rule == ()
    d = destruction_log
    with _store(mm).engine.connect() as conn:
        entries = conn.execute(select(d.c.subjects, d.c["items"]).where(d.c.rule == "complaint_records")).all()
    assert [tuple(e) for e in entries] == [(2, 2)]
    assert stored(mm, a) == stored(mm, b) == {"live": {"mobile_phone", "email", "login_id"}}


def test_a_bucket_whose_day_is_over_when_it_is_made_stays_under_the_kek(make_any: Make) -> None:
    mm = make_any("1mm")
    sid = member(mm, 1)
    rid = mm.record(sid, "visit_log", VISIT, T0 - 200 * DAY)  # its 3 months ended before it was recorded
    assert not wrapped_by(mm, sid, f"visit_logs/{rid}").startswith(EXPIRY_PREFIX)
    assert days(mm) == {}
    assert [(c.rule, c.buckets) for c in mm.sweep().by_rule] == [("visit_logs", 1)]


def test_a_kek_rotation_rewraps_the_expiry_keys_not_the_keys_under_them(tmp_path: Path) -> None:
    old = LocalKeyring.generate()
    store = open_retention_store(f"sqlite:///{tmp_path / 'rotate.db'}")
    mm = Engine(load_policy(EXAMPLES / "1mm.yaml"), store, old, FixedClock(T0))
    sid = member(mm, 1)
    bucket = f"visit_logs/{mm.record(sid, 'visit_log', VISIT)}"
    under = wrapped_by(mm, sid, bucket)
    with _store(mm).engine.connect() as conn:
        before = conn.scalar(
            select(data_keys.c.wrapped).where(data_keys.c.subject == sid, data_keys.c.bucket == bucket)
        )
    new = LocalKeyring.generate(index_key=old.index_key())
    report = mm.vault.rotate_kek(new)
    assert report.done
    assert report.remaining == 0
    assert report.rewrapped == 2  # the subject's live key and the expiry key; not the one under it
    with _store(mm).engine.connect() as conn:
        after = conn.scalar(select(data_keys.c.wrapped).where(data_keys.c.subject == sid, data_keys.c.bucket == bucket))
        kek = conn.scalar(select(data_keys.c.kek_id).where(data_keys.c.bucket == under))
    assert after == before
    assert wrapped_by(mm, sid, bucket) == under
    assert kek == new.kek_id
    fresh = Engine(mm.policy, store, new, FixedClock(T0))  # only the new KEK from now on
    assert fresh.vault.get(sid, None, bucket) == VISIT
    store.close()


def test_the_retention_tables_list_each_bucket_under_its_key(make: Make) -> None:
    mm = make("1mm")
    sid = member(mm, 1)
    mm.record(sid, "visit_log", VISIT)
    b = retention_buckets
    with _store(mm).engine.connect() as conn:
        (row,) = conn.execute(select(b.c.bucket, b.c.expiry_key)).all()
    assert row.expiry_key == wrapped_by(mm, sid, row.bucket)


def test_a_bucket_stored_again_under_another_expiry_key_follows_it(make: Make) -> None:
    mm = make("1mm")
    sid = member(mm, 1)
    first, second = mm.vault.new_expiry_key(date(2027, 1, 1)), mm.vault.new_expiry_key(date(2028, 1, 1))
    mm.vault.put(sid, VISIT, "visit_logs/r1", expiry_key=first)
    assert wrapped_by(mm, sid, "visit_logs/r1") == first
    mm.vault.put(sid, {"access_log": "GET /again"}, "visit_logs/r1", expiry_key=second)
    assert wrapped_by(mm, sid, "visit_logs/r1") == second  # the key moved with the bucket's new expiry
    assert mm.vault.shred_expiry_keys([first]) == 1
    assert mm.vault.get(sid, None, "visit_logs/r1") == {"access_log": "GET /again", "ip_address": "192.0.2.1"}
    assert mm.vault.shred_expiry_keys([second]) == 1
    assert mm.vault.get(sid, None, "visit_logs/r1") == {}


def test_what_a_held_subject_keeps_stays_under_the_kek(make_any: Make, clock: FixedClock) -> None:
    """A hold placed before the end of purpose: the kept copies and new records are made under the KEK, so the
    day's key cannot take them; they go only once the hold is released."""
    mm = make_any("1mm")
    held, free = member(mm, 1), member(mm, 2)
    mm.place_hold(held, "수사기관 요청 (TEST-3)", "op-1")
    for sid in (held, free):
        mm.record(sid, "visit_log", VISIT)
        mm.end_purpose(sid)
    assert [k.expiry_key for k in mm.retention.kept(held)] == [None]  # the visit log
    for k in mm.retention.kept(held):
        assert not wrapped_by(mm, held, k.bucket).startswith(EXPIRY_PREFIX)
    assert all(k.expiry_key is not None for k in mm.retention.kept(free) if k.expires_at is not None)
    clock.set(EXPIRES + DAY)
    mm.sweep()
    assert "visit_logs" not in stored(mm, free)
    assert "visit_logs" in stored(mm, held)


def test_revision_0009_is_not_undone_over_buckets_under_expiry_keys(make: Make, clock: FixedClock) -> None:
    mm = make("1mm")
    mm.record(member(mm, 1), "visit_log", VISIT)
    engine = _store(mm).engine
    with pytest.raises(SchemaError, match="1 kept buckets are under expiry keys"):
        downgrade(engine, "0008")
    clock.set(EXPIRES + DAY)
    mm.sweep()  # destroyed: nothing is under an expiry key any more
    downgrade(engine, "0008")
    with engine.connect() as conn:
        assert "expiry_keys" not in inspect(conn).get_table_names()
    upgrade(engine)
    assert mm.sweep().by_rule == ()


def test_keys_deleted_by_a_killed_batch_are_logged_once_by_the_next_run(make: Make) -> None:
    """SQLite: a batch of buckets under the KEK deletes their keys in a commit of its own, then marks and logs them;
    a kill between the two leaves them unreadable and unlogged, and the next run logs them, once."""
    mm = make("1mm")
    subjects = [member(mm, n) for n in range(1, 4)]
    buckets = {sid: f"visit_logs/{mm.record(sid, 'visit_log', VISIT, T0 - 200 * DAY)}" for sid in subjects}
    with _store(mm).retention_transaction() as session:
        assert session.delete_due_keys(T0, 10) == 3  # and then the kill: no mark, no log
    for sid, bucket in buckets.items():
        assert mm.vault.get(sid, None, bucket) == {}  # no key: nothing to read
    assert logged(mm) == []
    assert [(c.rule, c.buckets, c.fields) for c in mm.sweep().by_rule] == [("visit_logs", 3, 6)]
    assert logged(mm) == [("visit_logs", 3)]
    assert mm.sweep().by_rule == ()
    for sid in subjects:
        assert stored(mm, sid) == {"live": {"mobile_phone", "email", "login_id"}}


def test_an_expiry_key_lost_in_a_crash_is_replaced_not_reused(make: Make) -> None:
    """A kill inside the commit that makes a day's key can keep the data file's row without the key file's key."""
    mm = make("1mm")
    a, b = member(mm, 1), member(mm, 2)
    first = mm.record(a, "visit_log", VISIT)
    lost = wrapped_by(mm, a, f"visit_logs/{first}")
    with _store(mm).engine.begin() as conn:  # what the crash leaves: the row, not the key
        conn.execute(delete(data_keys).where(data_keys.c.subject == EXPIRY_SUBJECT, data_keys.c.bucket == lost))
    second = mm.record(b, "visit_log", VISIT)  # the same day: not under the lost key
    assert wrapped_by(mm, b, f"visit_logs/{second}") not in (lost, None)
    assert mm.vault.get(b, None, f"visit_logs/{second}") == VISIT


def test_a_held_bucket_still_under_its_days_key_is_moved_out_before_the_day_goes(
    make_any: Make, clock: FixedClock
) -> None:
    """A hold that could not move a bucket's key (placed while the bucket was being made, or cut short): the next
    sweep moves it under the KEK before it deletes any day's key."""
    mm = make_any("1mm")
    held = member(mm, 1)
    bucket = f"visit_logs/{mm.record(held, 'visit_log', VISIT)}"
    with _store(mm).retention_transaction() as session:  # the hold alone, its move not made
        session.add_hold(held, "분쟁 해결 시까지 (TEST-4)", T0, "op-1")
    assert wrapped_by(mm, held, bucket).startswith(EXPIRY_PREFIX)
    clock.set(EXPIRES + DAY)
    assert mm.sweep().by_rule == ()
    assert mm.vault.get(held, None, bucket) == VISIT
    assert not wrapped_by(mm, held, bucket).startswith(EXPIRY_PREFIX)


def test_a_hold_placed_after_the_days_key_went_does_not_hide_the_destruction(make_any: Make, clock: FixedClock) -> None:
    mm = make_any("1mm")
    a, b = member(mm, 1), member(mm, 2)
    for sid in (a, b):
        mm.record(sid, "visit_log", VISIT)
    (name,) = {k.expiry_key for sid in (a, b) for k in mm.retention.kept(sid)}
    assert name is not None
    assert mm.vault.shred_expiry_keys([name]) == 1  # a sweep's first step, then it was killed
    mm.place_hold(a, "분쟁 해결 시까지 (TEST-5)", "op-1")  # too late for its data
    clock.set(EXPIRES + DAY)
    assert [(c.rule, c.buckets) for c in mm.sweep().by_rule] == [("visit_logs", 2)]  # both, logged with their day
    assert logged(mm) == [("visit_logs", 2)]
    assert stored(mm, a) == stored(mm, b) == {"live": {"mobile_phone", "email", "login_id"}}


def test_two_sweeps_either_side_of_midnight_log_a_day_once(make: Make) -> None:
    """Sweep A (as of 23:50) is still shredding buckets due today when sweep B (as of 00:05 the next day) takes the
    day's key and logs the day: A must not log them again."""
    mm = make("1mm")
    for n in range(1, 4):
        mm.record(member(mm, n), "visit_log", VISIT)
    a_now, b_now = datetime(2026, 6, 2, 23, 50, tzinfo=UTC), datetime(2026, 6, 3, 0, 5, tzinfo=UTC)
    store = _store(mm)
    with store.retention_transaction() as session:  # A: the keys of its batch (SQLite's first commit)
        assert session.delete_due_keys(a_now, 100) == 3
    b = mm.retention.sweep(b_now)  # B, whole
    assert [(c.rule, c.buckets) for c in b.by_rule] == [("visit_logs", 3)]
    with store.retention_transaction() as session:  # A's second commit: nothing left for it to count
        assert session.mark_deleted_batch() == []
    assert mm.retention.sweep(a_now).by_rule == ()
    assert logged(mm) == [("visit_logs", 3)]


def test_a_purge_order_left_on_a_connection_touches_no_other_bucket(make: Make, clock: FixedClock) -> None:
    """The order a purge sorted stays on its connection; a later purge there must not apply it to the reused rowids
    of new buckets."""
    mm = make("1mm")
    for n in range(1, 5):
        mm.record(member(mm, n), "visit_log", VISIT)
    clock.set(EXPIRES + DAY)
    store = _store(mm)
    with store.retention_transaction() as session:
        days_ = session.elapsed_expiry_keys(clock.now())
    mm.vault.shred_expiry_keys(days_)
    with store.retention_transaction() as session:
        assert session.mark_expiry_shredded(days_[0], clock.now()) == [RuleCount("visit_logs", 4, 8)]
    with store.consent_transaction() as a:  # connection A sorts the order and purges one bucket
        assert cast(SqlRetentionSession, a).purge_shredded(1, fresh=True) == (1, 2)
    with store.consent_transaction(), store.consent_transaction() as b:  # A busy: B purges the rest
        assert cast(SqlRetentionSession, b).purge_shredded(100, fresh=True) == (3, 6)
    clock.set(EXPIRES + 2 * DAY)
    new = {sid: f"visit_logs/{mm.record(sid, 'visit_log', VISIT)}" for sid in (member(mm, n) for n in range(5, 9))}
    with store.consent_transaction() as a:  # A again, its order of three buckets left, their rowids reused
        assert cast(SqlRetentionSession, a).purge_shredded(100) == (0, 0)
    for sid, bucket in new.items():
        assert mm.vault.get(sid, None, bucket) == VISIT
        assert [k.bucket for k in mm.retention.kept(sid)] == [bucket]


def test_a_day_shredded_bucket_by_bucket_and_then_by_its_key_is_purged_once(make: Make) -> None:
    """Sweep A (as of 23:50) shreds the day's due buckets one by one while sweep B (as of 00:05) deletes the day's key
    and marks the day: the buckets are then both marked and under a shredded key. The purge takes each once."""
    mm = make("1mm")
    subjects = [member(mm, n) for n in range(1, 4)]
    for sid in subjects:
        mm.record(sid, "visit_log", VISIT)
    a_now, b_now = datetime(2026, 6, 2, 23, 50, tzinfo=UTC), datetime(2026, 6, 3, 0, 5, tzinfo=UTC)
    store = _store(mm)
    with store.retention_transaction() as session:
        days_ = session.elapsed_expiry_keys(b_now)
    mm.vault.shred_expiry_keys(days_)  # B, step 1
    with store.retention_transaction() as session:  # A, a batch (its key still marked kept)
        assert session.delete_due_keys(a_now, 100) == 3
    with store.retention_transaction() as session:
        assert session.mark_deleted_batch() == [RuleCount("visit_logs", 3, 6)]
    with store.retention_transaction() as session:  # B, step 3: nothing left for it to count
        assert session.mark_expiry_shredded(days_[0], b_now) == []
    assert mm.retention.sweep(b_now).resumed == 6  # the purge ends, each bucket's rows deleted once
    for sid in subjects:
        assert stored(mm, sid) == {"live": {"mobile_phone", "email", "login_id"}}


def test_a_hold_placed_after_the_sweep_settled_the_holds_still_keeps_its_data(make: Make, clock: FixedClock) -> None:
    """The hold commits between the sweep's listing of the days and the deletion of their keys: the transaction that
    deletes them finds the held bucket first and moves it out (with its hold placed in the same gap by
    ``add_hold`` alone, its move not yet made)."""
    mm = make("1mm")
    held = member(mm, 1)
    bucket = f"visit_logs/{mm.record(held, 'visit_log', VISIT)}"
    clock.set(EXPIRES + DAY)
    store = _store(mm)
    with store.retention_transaction() as session:
        days_ = session.elapsed_expiry_keys(clock.now())
    with store.retention_transaction() as session:  # place_hold's first commit, in the gap
        session.add_hold(held, "분쟁 해결 시까지 (TEST-6)", clock.now(), "op-1")
    mm.retention._shred_days(days_)
    assert mm.vault.get(held, None, bucket) == VISIT
    assert mm.sweep().by_rule == ()
    assert mm.vault.get(held, None, bucket) == VISIT
    assert logged(mm) == []
