"""Consent state derived from events, and may_use / may_advertise, with an in-memory loader (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jikimi.consent import ConsentBook, ConsentEvent, EventKind, SubjectRecord, SubjectStatus
from jikimi.consent.ledger import chain
from jikimi.errors import ConsentError
from jikimi.policy import Policy
from jikimi.policy.model import BasisKind, ConsentMethod

from .conftest import NOW


def event(kind: EventKind, topics: tuple[str, ...], items: tuple[str, ...], at: datetime) -> ConsentEvent:
    return ConsentEvent(0, "s_1", kind, topics, items, "v1", ConsentMethod.WEB_CLICK, "ev", "self", at)


def book(policy: Policy, status: SubjectStatus, child: bool, evs: list[ConsentEvent]) -> ConsentBook:
    record = SubjectRecord("s_1", "", "signup", status, child, NOW, NOW)
    data = {"s_1": (record, chain(evs, None))}
    return ConsentBook(policy, data.get)


def test_may_use_follows_grants_withdrawals_and_purpose_limits(examples: dict[str, Policy]) -> None:
    later = NOW + timedelta(days=1)
    evs = [
        event(EventKind.COLLECT, ("member_management",), ("email", "login_id"), NOW),
        event(EventKind.GRANT, ("marketing",), ("email",), NOW),
        event(EventKind.WITHDRAW, ("marketing",), (), later),
    ]
    b = book(examples["1mm"], SubjectStatus.ACTIVE, False, evs)
    assert b.may_use("s_1", "email", "member_management", later)
    assert not b.may_use("s_1", "email", "marketing", later)  # withdrawn
    assert b.may_use("s_1", "email", "marketing", NOW + timedelta(hours=1))  # before the withdrawal
    assert not b.may_use("s_1", "email", "contract_billing", NOW)  # no data came in under it
    assert not b.may_use("s_1", "card_number", "member_management", NOW)  # the purpose does not list it
    assert not b.may_use("s_nobody", "email", "member_management", NOW)
    with pytest.raises(ConsentError, match="not declared"):
        b.may_use("s_1", "email", "lottery", NOW)


@pytest.mark.parametrize("status", [SubjectStatus.PENDING, SubjectStatus.REFUSED, SubjectStatus.WITHDRAWN])
def test_only_active_subjects_data_is_used(examples: dict[str, Policy], status: SubjectStatus) -> None:
    evs = [event(EventKind.COLLECT, ("member_management",), ("email",), NOW)]
    assert not book(examples["1mm"], status, False, evs).may_use("s_1", "email", "member_management", NOW)


def test_representative_items_are_locked_to_their_purpose(examples: dict[str, Policy]) -> None:
    # Even a purpose that (wrongly) lists the representative's phone may not use it (R-CHILD-3).
    policy = examples["1mm"]
    mm = policy.purposes["member_management"]
    widened = mm.model_copy(update={"items": (*mm.items, "guardian_phone")})
    policy = policy.model_copy(update={"purposes": {**policy.purposes, "member_management": widened}})
    evs = [event(EventKind.COLLECT, ("guardian_consent", "member_management"), ("guardian_phone",), NOW)]
    b = book(policy, SubjectStatus.ACTIVE, True, evs)
    assert b.may_use("s_1", "guardian_phone", "guardian_consent", NOW)
    assert not b.may_use("s_1", "guardian_phone", "member_management", NOW)


def test_no_advertising_to_children_where_the_policy_says_so(examples: dict[str, Policy]) -> None:
    evs = [event(EventKind.GRANT, ("cookie_target_marketing",), ("cookie",), NOW)]
    assert not book(examples["ktmns"], SubjectStatus.ACTIVE, True, evs).may_use(
        "s_1", "cookie", "cookie_target_marketing", NOW
    )
    assert book(examples["ktmns"], SubjectStatus.ACTIVE, False, evs).may_use(
        "s_1", "cookie", "cookie_target_marketing", NOW
    )


def test_may_advertise_needs_the_channel_consent_and_daytime(examples: dict[str, Policy]) -> None:
    evs = [
        event(EventKind.GRANT, ("marketing",), ("manager_email",), NOW),
        event(EventKind.GRANT, ("marketing:email",), (), NOW),
    ]
    b = book(examples["partnercenter"], SubjectStatus.ACTIVE, False, evs)
    noon_kst = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert b.may_advertise("s_1", "email", noon_kst)
    assert not b.may_advertise("s_1", "sms", noon_kst)  # no SMS consent (R-MKT-1)
    assert not b.may_advertise("s_1", "email", datetime(2026, 3, 2, 13, 0, tzinfo=UTC))  # 22:00 KST (R-MKT-4)


def test_a_purpose_now_resting_on_consent_needs_a_grant(examples: dict[str, Policy]) -> None:
    # The data came in under a contract; the policy in force rests the purpose on consent (R-POL-4, R-CON-3).
    policy = examples["1mm"]
    mm = policy.purposes["member_management"]
    moved = mm.model_copy(update={"basis": mm.basis.model_copy(update={"kind": BasisKind.CONSENT})})
    policy = policy.model_copy(update={"purposes": {**policy.purposes, "member_management": moved}})
    came_in = [event(EventKind.COLLECT, ("member_management",), ("email", "login_id"), NOW)]
    b = book(policy, SubjectStatus.ACTIVE, False, came_in)
    assert not b.may_use("s_1", "email", "member_management", NOW)
    state = b.state("s_1")
    assert state is not None
    assert state.unconsented == {"member_management"}
    later = NOW + timedelta(days=1)
    given = [*came_in, event(EventKind.GRANT, ("member_management",), ("email", "login_id"), later)]
    b = book(policy, SubjectStatus.ACTIVE, False, given)
    assert b.may_use("s_1", "email", "member_management", later)
    assert not b.may_use("s_1", "email", "member_management", NOW)  # not before the consent
    assert book(examples["1mm"], SubjectStatus.ACTIVE, False, came_in).may_use("s_1", "email", "member_management", NOW)


def test_the_state_cache_is_bounded_and_a_dropped_state_is_rebuilt_from_the_ledger(
    examples: dict[str, Policy],
) -> None:
    """A long-running engine must not keep every subject it ever saw in memory (CACHED_STATES)."""
    loads: list[str] = []
    data = {}
    for n in range(5):
        sid = f"s_{n}"
        record = SubjectRecord(sid, "", "signup", SubjectStatus.ACTIVE, False, NOW, NOW)
        collected = replace(event(EventKind.COLLECT, ("member_management",), ("email",), NOW), subject=sid)
        granted = [replace(event(EventKind.GRANT, ("marketing",), ("email",), NOW), subject=sid)] if n % 2 == 0 else []
        data[sid] = (record, chain([collected, *granted], None))

    def load(subject: str) -> tuple[SubjectRecord, list[ConsentEvent]] | None:
        loads.append(subject)
        return data.get(subject)

    b = ConsentBook(examples["1mm"], load, cached=2)
    later = NOW + timedelta(hours=1)
    answers = [b.may_use(f"s_{n}", "email", "marketing", later) for n in range(5)]
    assert answers == [True, False, True, False, True]
    assert len(loads) == 5
    assert b.may_use("s_4", "email", "marketing", later)
    assert len(loads) == 5
    assert b.may_use("s_0", "email", "marketing", later)  # dropped (the oldest), rebuilt with the same answer
    assert loads[-1] == "s_0"
    assert len(loads) == 6
    assert not b.may_use("s_1", "email", "marketing", later)
    assert loads[-1] == "s_1"
    assert len(loads) == 7
    with pytest.raises(ValueError, match="at least one"):
        ConsentBook(examples["1mm"], load, cached=0)
