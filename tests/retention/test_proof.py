"""Proof of consent after destruction: a destroyed subject's ledger events are tombstoned the day after its proof
period ends (not the day before), the chain still verifies and still catches an edit to another subject's event,
and a subject with a kept bucket, or under a legal hold, keeps its events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from jikimi.adapters.storage.consent_tables import consent_events
from jikimi.adapters.storage.retention_store import SqlRetentionStore
from jikimi.clock import FixedClock
from jikimi.consent.ledger import is_tombstone, tombstone
from jikimi.engine import Engine
from jikimi.policy import load_policy
from jikimi.policy.model import ConsentMethod
from jikimi.retention.periods import add_period
from jikimi.retention.proof import RULE, proof_period

from .conftest import EXAMPLES, T0, Make, stored

WEB = ConsentMethod.WEB_CLICK
DAY = timedelta(days=1)


def member(engine: Engine, n: int) -> str:
    data = {"mobile_phone": f"010-0000-{n:04d}", "email": f"user{n}@example.com", "login_id": f"user{n:04d}"}
    return engine.collect("signup", "general", data, {"service_improvement": True}, WEB, f"f-{n}").subject


def rows(engine: Engine, subject: str) -> list[tuple[int, bytes]]:
    store = engine.store
    assert isinstance(store, SqlRetentionStore)
    e = consent_events
    with store.engine.connect() as conn:
        return [(s, bytes(b)) for s, b in conn.execute(select(e.c.seq, e.c.body).where(e.c.subject == subject))]


def test_the_proof_period_is_the_longest_rule_and_at_least_five_years() -> None:
    assert proof_period(load_policy(EXAMPLES / "1mm.yaml")) == "5y"  # contract and payment records, 5 years
    assert proof_period(load_policy(EXAMPLES / "ooccnnmm.yaml")) == "5y"  # no rules: the floor


def test_a_destroyed_subjects_consent_events_go_when_the_proof_period_ends(make_any: Make, clock: FixedClock) -> None:
    mm = make_any("1mm")
    gone, live, paid, held = member(mm, 1), member(mm, 2), member(mm, 3), member(mm, 4)
    mm.record(gone, "visit_log", {"access_log": "GET /", "ip_address": "192.0.2.1"})
    for sid in (gone, paid, held):
        mm.end_purpose(sid)
    # A payment settled a month after the withdrawal: its record is kept 5 years from then, past the proof period.
    mm.record(paid, "payment_record", {"billing_record": "2026-04 정산 TEST"}, occurred_at=T0 + 30 * DAY)
    hold = mm.place_hold(held, "분쟁 해결 시까지 (사건 TEST-2)", "op-1")
    events = len(mm.consents.events(gone))
    assert events >= 2  # the sign-up's grant and the end

    clock.set(T0 + 200 * DAY)
    assert [c.rule for c in mm.sweep().by_rule] == ["visit_logs"]
    assert stored(mm, gone) == {}  # every bucket destroyed; the proof of consent is still kept

    end = add_period(T0, "5y")
    assert end is not None
    clock.set(end - DAY)
    report = mm.sweep()
    assert (report.consent_subjects, report.consent_events) == (0, 0)
    assert len(mm.consents.events(gone)) == events

    clock.set(end + DAY)
    dry = mm.sweep(dry_run=True)
    assert (dry.consent_subjects, dry.consent_events) == (1, events)
    assert len(mm.consents.events(gone)) == events  # a dry run erases nothing
    report = mm.sweep()
    assert (report.consent_subjects, report.consent_events) == (1, events)
    assert mm.sweep().consent_subjects == 0  # nothing twice

    # Only the tombstones stay: seq and the pseudonymous id, nothing of what was consented to.
    assert [body for _, body in rows(mm, gone)] == [tombstone(seq, gone) for seq, _ in rows(mm, gone)]
    assert mm.consents.book.state(gone) is None
    verification = mm.verify_consents()
    assert verification.ok
    assert verification.tombstones == events
    logged = [e for e in mm.retention.destruction_log(T0, end + 2 * DAY) if e.rule == RULE]
    assert [(e.subjects, e.items) for e in logged] == [(1, events)]

    # The others keep their events: an active member, a withdrawn one with a kept record, one under a hold.
    for sid in (live, paid, held):
        assert mm.consents.events(sid)
        assert not any(is_tombstone(body) for _, body in rows(mm, sid))
    assert stored(mm, paid) == {"payment_records": {"billing_record"}}

    # When the record and the hold end, those proofs go too (the bucket first, then its proof, in one sweep).
    mm.release_hold(hold, "op-1")
    paid_end = add_period(T0 + 30 * DAY, "5y")
    assert paid_end is not None
    clock.set(paid_end + DAY)
    report = mm.sweep()
    assert [c.rule for c in report.by_rule] == ["payment_records"]
    assert report.consent_subjects == 2
    assert mm.consents.events(live)
    assert mm.verify_consents().ok


def test_an_edit_to_another_subjects_event_is_still_detected(make_any: Make, clock: FixedClock) -> None:
    mm = make_any("1mm")
    gone, live = member(mm, 1), member(mm, 2)
    mm.end_purpose(gone)
    clock.set(T0 + 6 * 365 * DAY)
    assert mm.sweep().consent_subjects == 1
    seq, body = rows(mm, live)[0]
    store = mm.store
    assert isinstance(store, SqlRetentionStore)
    with store.engine.begin() as conn:
        altered = body.replace(b'"f-2"', b'"f-9"')
        assert altered != body
        conn.execute(update(consent_events).where(consent_events.c.seq == seq).values(body=altered))
    verification = mm.verify_consents()
    assert verification.broken is not None
    assert verification.broken.seq == seq
    assert "altered" in verification.broken.reason
    with store.engine.begin() as conn:  # a forged tombstone of a live event still has to carry its own seq
        conn.execute(update(consent_events).where(consent_events.c.seq == seq).values(body=tombstone(seq + 1, live)))
    assert not mm.verify_consents().ok
