"""The full life of typical subjects of each example policy on a test clock: sign-up, use, end of purpose, then the
day before and the day after each retention period ends, asserting exactly what exists on each day.

All personal data is obviously fake (example.com, 010-0000-xxxx, 홍길동, an RRN of nobody).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from jikimi.clock import FixedClock
from jikimi.consent import SubjectStatus
from jikimi.engine import Engine
from jikimi.errors import RetentionError, UnknownSubjectError
from jikimi.policy.model import ClockStart, ConsentMethod
from jikimi.retention import add_period

from .conftest import T0, Make, stored

WEB = ConsentMethod.WEB_CLICK
DAY = timedelta(days=1)


def days_around(engine: Engine, clock: FixedClock, start: datetime, period: str) -> tuple[datetime, datetime]:
    end = add_period(start, period)
    assert end is not None
    return end - DAY, end + DAY


def sweep_on(engine: Engine, clock: FixedClock, day: datetime) -> None:
    clock.set(day)
    engine.sweep()


def test_1mm_member_visit_logs_3_months_payment_5_years(make: Make, clock: FixedClock) -> None:
    mm = make("1mm")
    data = {"mobile_phone": "010-0000-1001", "email": "hong@example.com", "login_id": "hong1001"}
    sid = mm.collect("signup", "general", data, {"service_improvement": True}, WEB, "f-1").subject
    mm.record(sid, "visit_log", {"access_log": "GET /music", "ip_address": "192.0.2.10"})
    mm.record(sid, "payment_record", {"billing_record": "2026-03 정기결제 TEST", "card_info": "테스트카드 4111"})
    mm.record(sid, "complaint_record", {"inquiry_email": "hong@example.com"})
    mm.record(sid, "contract_record")
    assert stored(mm, sid) == {
        "live": set(data),
        "visit_logs": {"access_log", "ip_address"},
        "payment_records": {"billing_record", "card_info"},
        "complaint_records": {"inquiry_email"},
        "contract_records": set(),
    }
    clock.set(T0 + 10 * DAY)
    ended = mm.end_purpose(sid)  # 회원탈퇴
    assert ended.destroyed == ("email", "login_id", "mobile_phone")
    assert ended.kept == ()  # 1mm keeps no member data after withdrawal (no dispute, no separate consent)
    assert mm.consents.subject(sid).status is SubjectStatus.WITHDRAWN
    assert not mm.may_use(sid, "email", "member_management")
    assert mm.vault.find_by("login_id", "hong1001") == []
    records = {"visit_logs", "payment_records", "complaint_records", "contract_records"}
    assert set(stored(mm, sid)) == records

    before, after = days_around(mm, clock, T0, "3m")
    sweep_on(mm, clock, before)
    assert set(stored(mm, sid)) == records
    sweep_on(mm, clock, after)
    assert set(stored(mm, sid)) == records - {"visit_logs"}  # site-visit logs gone after 3 months
    before, after = days_around(mm, clock, T0, "3y")
    sweep_on(mm, clock, before)
    assert set(stored(mm, sid)) == {"payment_records", "complaint_records", "contract_records"}
    sweep_on(mm, clock, after)
    assert set(stored(mm, sid)) == {"payment_records", "contract_records"}
    before, after = days_around(mm, clock, T0, "5y")
    sweep_on(mm, clock, before)
    assert stored(mm, sid) == {"payment_records": {"billing_record", "card_info"}, "contract_records": set()}
    sweep_on(mm, clock, after)
    assert stored(mm, sid) == {}  # payment records gone after 5 years: nothing of the subject is left
    assert mm.retention.records(sid) == []
    log = mm.retention.destruction_log(T0, after + DAY)
    assert [(e.rule, e.subjects, e.items) for e in log] == [
        ("purpose_end:withdrawal", 1, 3),
        ("visit_logs", 1, 2),
        ("complaint_records", 1, 1),
        ("contract_records", 1, 0),
        ("payment_records", 1, 2),
    ]


def test_123solution_call_detail_records_12_months_member_info_5_years(make: Make, clock: FixedClock) -> None:
    s123 = make("123solution")
    required = {"friend_search": True, "friend_suggestion": True, "inquiries": True, "notices": True}
    data = {"mobile_phone": "010-0000-4001", "device_id": "TEST-IMEI-0001", "contact_intl_numbers": "010-0000-4002"}
    sid = s123.collect("voluntary", None, data, required, WEB, "app-1").subject
    s123.record(sid, "call_detail_records", {"call_time": "2026-03-02", "call_numbers": "010-0000-4009"})
    s123.record(sid, "payment_supply_records", {"payment_history": "TEST 충전 1,000원"})
    withdrawn_at = T0 + 30 * DAY
    clock.set(withdrawn_at)
    ended = s123.end_purpose(sid)
    # 전자상거래법 member information, kept apart for 5 years from withdrawal (separate_storage: true).
    assert [(k.rule, k.items, k.expires_at, k.separate_storage) for k in ended.kept] == [
        ("member_info", frozenset({"mobile_phone"}), add_period(withdrawn_at, "5y"), True)
    ]
    assert stored(s123, sid) == {
        "member_info": {"mobile_phone"},
        "call_detail_records": {"call_time", "call_numbers"},
        "payment_supply_records": {"payment_history"},
    }
    assert s123.vault.get(sid, bucket="member_info") == {"mobile_phone": "010-0000-4001"}
    before, after = days_around(s123, clock, T0, "12m")
    sweep_on(s123, clock, before)
    assert set(stored(s123, sid)) == {"member_info", "call_detail_records", "payment_supply_records"}
    sweep_on(s123, clock, after)
    assert set(stored(s123, sid)) == {"member_info", "payment_supply_records"}  # CDRs gone after 12 months
    before, after = days_around(s123, clock, T0, "5y")
    sweep_on(s123, clock, before)
    assert set(stored(s123, sid)) == {"member_info", "payment_supply_records"}
    sweep_on(s123, clock, after)
    assert set(stored(s123, sid)) == {"member_info"}  # withdrawn a month later: its 5 years end a month later
    before, after = days_around(s123, clock, withdrawn_at, "5y")
    sweep_on(s123, clock, before)
    assert set(stored(s123, sid)) == {"member_info"}
    sweep_on(s123, clock, after)
    assert stored(s123, sid) == {}


def test_partnercenter_re_registration_check_data_one_year(make: Make, clock: FixedClock) -> None:
    pc = make("partnercenter")
    data = {
        "login_id": "partner1",
        "password": "correct horse battery staple",
        "manager_name": "홍길동",
        "manager_mobile": "010-0000-2001",
        "company_name": "테스트 엔터",
        "business_number": "123-45-67800",
        "representative_name": "김철수",
    }
    sid = pc.collect("signup", "agency", data, {"service_development": True}, WEB, "pc-1").subject
    pc.decide(sid, True, "op-1")
    pc.record(
        sid, "site_visit_logs", {"access_log": "GET /", "ip_address": "192.0.2.20", "visit_datetime": "2026-03-02"}
    )
    withdrawn_at = T0 + 30 * DAY
    clock.set(withdrawn_at)
    pc.end_purpose(sid)
    aftercare = {"login_id", "company_name", "business_number", "manager_mobile"}  # the password is never kept
    assert stored(pc, sid) == {
        "withdrawn_member_aftercare": aftercare,
        "permanent_account_key": {"business_number"},
        "site_visit_logs": {"access_log", "ip_address", "visit_datetime"},
    }
    # Kept apart, readable only for the purpose that keeps it (R-RET-2).
    kept = pc.retention.read_kept(sid, "withdrawn_member_aftercare", "member_management")
    assert kept["business_number"] == "123-45-67800"
    with pytest.raises(RetentionError, match="not for 'marketing'"):
        pc.retention.read_kept(sid, "withdrawn_member_aftercare", "marketing")
    before, after = days_around(pc, clock, T0, "3m")
    sweep_on(pc, clock, before)
    assert "site_visit_logs" in stored(pc, sid)
    sweep_on(pc, clock, after)
    assert set(stored(pc, sid)) == {"withdrawn_member_aftercare", "permanent_account_key"}
    before, after = days_around(pc, clock, withdrawn_at, "1y")
    sweep_on(pc, clock, before)
    assert set(stored(pc, sid)) == {"withdrawn_member_aftercare", "permanent_account_key"}
    sweep_on(pc, clock, after)
    # Re-registration check data gone after 1 year; the policy's permanent account key stays (lint flags it).
    assert stored(pc, sid) == {"permanent_account_key": {"business_number"}}
    sweep_on(pc, clock, withdrawn_at + 30 * 365 * DAY)
    assert stored(pc, sid) == {"permanent_account_key": {"business_number"}}


def test_ktmns_delivery_data_3_months_after_the_order(make: Make, clock: FixedClock) -> None:
    kt = make("ktmns")
    order = {"name": "홍길동", "phone_number": "010-0000-5002"}
    sid = kt.collect("online_shop", None, order, {}, None, None).subject
    kt.record(sid, "comm_fact_records", {"access_log": "GET /shop", "ip_address": "192.0.2.30"})
    clock.set(T0 + 5 * DAY)
    ended = kt.end_purpose(sid, ClockStart.PURPOSE_COMPLETION, actor="op-2")  # the delivery is done
    assert [(k.rule, k.expires_at) for k in ended.kept] == [("online_shop", add_period(T0, "3m"))]
    assert stored(kt, sid) == {
        "online_shop": set(order),
        "comm_facts": set(),  # the 12-month rule lists no items: only the record's existence
        "comm_log_records": {"access_log", "ip_address"},
    }
    before, after = days_around(kt, clock, T0, "3m")
    sweep_on(kt, clock, before)
    assert set(stored(kt, sid)) == {"online_shop", "comm_facts", "comm_log_records"}
    sweep_on(kt, clock, after)
    assert set(stored(kt, sid)) == {"comm_facts"}  # delivery data and logs gone 3 months after the order
    before, after = days_around(kt, clock, T0, "12m")
    sweep_on(kt, clock, before)
    assert set(stored(kt, sid)) == {"comm_facts"}
    sweep_on(kt, clock, after)
    assert stored(kt, sid) == {}


def test_ooccnnmm_keeps_nothing_after_withdrawal(make: Make, clock: FixedClock) -> None:
    oc = make("ooccnnmm")
    data = {"name": "홍길동", "phone": "010-0000-3001", "rrn": "900101-1234568", "email": "hong@example.com"}
    sid = oc.collect("basic_features", None, data, {"basic_features": True}, WEB, "oc-1").subject
    oc.collect("order", None, {"order_info": "주문 TEST-1"}, {}, None, None, subject=sid)
    assert stored(oc, sid) == {"live": {*data, "order_info"}}
    clock.set(T0 + DAY)
    ended = oc.end_purpose(sid)
    assert ended.kept == ()
    assert stored(oc, sid) == {}  # no retention table in the policy: everything is destroyed at once
    clock.set(T0 + 4 * 365 * DAY)
    report = oc.sweep()
    assert report.by_rule == ()
    assert oc.consents.subject(sid).status is SubjectStatus.WITHDRAWN  # its proof of consent is still kept
    clock.set(T0 + 10 * 365 * DAY)
    assert oc.sweep().consent_subjects == 1  # past the 5-year proof period (retention.proof): erased too
    with pytest.raises(UnknownSubjectError):
        oc.consents.subject(sid)


def test_an_end_of_purpose_is_one_transaction(make: Make, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    s123 = make("123solution")
    required = {"friend_search": True, "friend_suggestion": True, "inquiries": True, "notices": True}
    data = {"mobile_phone": "010-0000-4001", "device_id": "TEST-IMEI-0001", "contact_intl_numbers": "010-0000-4002"}
    sid = s123.collect("voluntary", None, data, required, WEB, "app-1").subject
    before, events = stored(s123, sid), len(s123.consents.events(sid))

    def crash(*_args: object) -> bool:
        raise RuntimeError("power cut after the kept copy was written")

    monkeypatch.setattr(s123.vault, "shred", crash)
    with pytest.raises(RuntimeError):
        s123.end_purpose(sid)
    monkeypatch.undo()
    assert stored(s123, sid) == before == {"live": set(data)}  # no kept copy, live data intact
    assert s123.consents.subject(sid).status is SubjectStatus.ACTIVE
    assert len(s123.consents.events(sid)) == events
    assert set(stored(s123, sid)) == {"live"}
    s123.end_purpose(sid)
    assert stored(s123, sid) == {"member_info": {"mobile_phone"}}
