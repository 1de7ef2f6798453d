"""End of purpose on the five source systems: what goes at once, what is kept apart, and until when (R-RET-1/2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from jikimi.policy import Policy, load_policy
from jikimi.policy.model import ClockStart
from jikimi.retention import LegalHold, add_period, is_due, on_purpose_end

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"
T = datetime(2026, 3, 31, 12, 0)


def policy(name: str) -> Policy:
    return load_policy(EXAMPLES / f"{name}.yaml")


def all_items(p: Policy) -> set[str]:
    return set(p.items)


@pytest.mark.parametrize(
    ("start", "period", "end"),
    [
        (datetime(2027, 1, 31), "1m", datetime(2027, 2, 28)),
        (datetime(2024, 1, 31), "1m", datetime(2024, 2, 29)),
        (datetime(2024, 2, 29), "1y", datetime(2025, 2, 28)),
        (datetime(2026, 11, 30), "3m", datetime(2027, 2, 28)),
        (datetime(2026, 1, 1), "30d", datetime(2026, 1, 31)),
        (datetime(2026, 5, 15), "5y", datetime(2031, 5, 15)),
        (datetime(2026, 5, 15), "0d", datetime(2026, 5, 15)),
    ],
)
def test_periods_are_calendar_periods(start: datetime, period: str, end: datetime) -> None:
    assert add_period(start, period) == end


def test_permanent_has_no_end() -> None:
    assert add_period(T, "permanent") is None


def test_1mm_withdrawal_destroys_member_data_and_keeps_statutory_records() -> None:
    p = policy("1mm")
    last_payment = T - timedelta(days=10)
    result = on_purpose_end(p, all_items(p), ClockStart.WITHDRAWAL, T, clocks={ClockStart.TRANSACTION: last_payment})
    assert {"login_id", "password", "guardian_phone"} <= result.destroy
    kept = {k.rule: k for k in result.keep}
    assert kept["visit_logs"].items == {"access_log", "ip_address"}
    assert kept["visit_logs"].expires_at == add_period(last_payment, "3m")
    assert kept["payment_records"].expires_at == datetime(2031, 3, 21, 12, 0)
    assert "card_info" in kept["payment_records"].items
    assert "dispute" not in kept  # no dispute open: nothing kept "until it is resolved"
    assert result.destroy.isdisjoint(result.kept_items)
    assert result.destroy | result.kept_items == all_items(p)


def test_1mm_open_dispute_keeps_member_identity_until_resolved() -> None:
    p = policy("1mm")
    result = on_purpose_end(p, all_items(p), ClockStart.WITHDRAWAL, T, conditions=[ClockStart.DISPUTE_RESOLUTION])
    dispute = next(k for k in result.keep if k.rule == "dispute")
    assert dispute.items == {"login_id", "mobile_phone", "email"}
    assert dispute.expires_at is None
    assert "login_id" not in result.destroy


def test_partnercenter_rejoin_check_kept_apart_for_one_year() -> None:
    p = policy("partnercenter")
    result = on_purpose_end(p, all_items(p), ClockStart.WITHDRAWAL, T)
    aftercare = next(k for k in result.keep if k.rule == "withdrawn_member_aftercare")
    assert {"login_id", "password", "business_number"} <= aftercare.items
    assert aftercare.separate_storage
    assert aftercare.use == "member_management"
    assert aftercare.expires_at == datetime(2027, 3, 31, 12, 0)
    day_before, day_after = aftercare.expires_at - timedelta(days=1), aftercare.expires_at + timedelta(days=1)
    assert not is_due(aftercare, day_before)
    assert is_due(aftercare, day_after)
    hold = LegalHold("s1", "저작권 분쟁", placed_at=T + timedelta(days=100))
    assert not is_due(aftercare, day_after, [hold])
    released = LegalHold("s1", "저작권 분쟁", placed_at=T + timedelta(days=100), released_at=day_after)
    assert is_due(aftercare, day_after + timedelta(days=1), [released])


def test_partnercenter_permanent_row_is_never_due() -> None:
    p = policy("partnercenter")
    result = on_purpose_end(p, all_items(p), ClockStart.WITHDRAWAL, T)
    permanent = next(k for k in result.keep if k.rule == "permanent_account_key")
    assert permanent.expires_at is None
    assert not is_due(permanent, T + timedelta(days=365 * 100))


def test_123solution_call_detail_records_live_twelve_months_from_the_call() -> None:
    p = policy("123solution")
    call = T - timedelta(days=40)
    result = on_purpose_end(p, all_items(p), ClockStart.WITHDRAWAL, T, clocks={ClockStart.TRANSACTION: call})
    cdr = next(k for k in result.keep if k.rule == "call_detail_records")
    assert {"call_time", "call_numbers", "device_location"} <= cdr.items
    assert cdr.expires_at == add_period(call, "12m")
    assert "device_id" in result.destroy


def test_ktmns_delivery_data_three_months_after_the_order() -> None:
    p = policy("ktmns")
    ordered = T - timedelta(days=20)
    held = {"name", "phone_number"}
    result = on_purpose_end(p, held, ClockStart.PURPOSE_COMPLETION, T, clocks={ClockStart.COLLECTION: ordered})
    (shop,) = [k for k in result.keep if k.rule == "online_shop"]
    assert shop.expires_at == add_period(ordered, "3m")
    later = on_purpose_end(
        p, held, ClockStart.PURPOSE_COMPLETION, T + timedelta(days=90), clocks={ClockStart.COLLECTION: ordered}
    )
    assert later.destroy == held  # the three months are over: nothing left to keep


def test_items_no_rule_keeps_are_destroyed_at_once() -> None:
    p = policy("ooccnnmm")  # the source states no retention at all
    result = on_purpose_end(p, all_items(p), ClockStart.WITHDRAWAL, T)
    assert result.keep == ()
    assert result.destroy == all_items(p)
