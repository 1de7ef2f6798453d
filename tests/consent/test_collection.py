"""Collection rules without a database: what is stored, and every refusal with its rule id."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jikimi.consent import Representative, plan_collection
from jikimi.errors import ChildrenError, CollectionError
from jikimi.policy import Policy
from jikimi.policy.model import ConsentMethod, Item, ItemCategory, ItemFormat, RepresentativeVerification

from .conftest import NOW

WEB = ConsentMethod.WEB_CLICK
ADULT = {"mobile_phone": "010-0000-1001", "email": "hong@example.com", "login_id": "hong1001"}


def with_item(policy: Policy, channel: str, key: str, item: Item, purpose: str) -> Policy:
    """``policy`` with one more optional item on ``channel``, listed by ``purpose``."""
    ch = policy.channels[channel]
    pu = policy.purposes[purpose]
    return policy.model_copy(
        update={
            "items": {**policy.items, key: item},
            "channels": {**policy.channels, channel: ch.model_copy(update={"optional": (*ch.optional, key)})},
            "purposes": {**policy.purposes, purpose: pu.model_copy(update={"items": (*pu.items, key)})},
        }
    )


def test_optional_consents_refused_never_block(examples: dict[str, Policy]) -> None:
    plan = plan_collection(
        examples["1mm"], "signup", "general", ADULT, {"service_improvement": True, "marketing": False}, WEB, NOW
    )
    assert dict(plan.items) == ADULT
    assert list(plan.grants) == ["service_improvement"]
    assert set(plan.collected) == {"contract_billing", "member_management"}
    assert plan.identity == ("email", "login_id", "mobile_phone")
    assert not plan.child
    assert not plan.pending


def test_refusing_a_required_consent_says_which_and_why(examples: dict[str, Policy]) -> None:
    with pytest.raises(CollectionError) as caught:
        plan_collection(examples["1mm"], "signup", "general", ADULT, {"service_improvement": False}, WEB, NOW)
    assert caught.value.rule == "R-CON-4"
    assert "'service_improvement'" in str(caught.value)
    assert "cannot be provided" in str(caught.value)


@pytest.mark.parametrize(
    ("policy", "channel", "kind", "data", "consents", "method", "match"),
    [
        (
            "1mm",
            "signup",
            "general",
            {**ADULT, "card_number": "4111"},
            {"service_improvement": True},
            WEB,
            "card_number",
        ),
        ("1mm", "signup", "general", {"email": "a@example.com"}, {"service_improvement": True}, WEB, "requires item"),
        ("1mm", "signup", None, ADULT, {"service_improvement": True}, WEB, "needs a subject type"),
        ("partnercenter", "signup", "inquirer", {}, {}, WEB, "does not take subject type"),
        ("partnercenter", "inquiry", "alien", {}, {}, WEB, "not declared"),
        ("1mm", "signup", "general", ADULT, {"service_improvement": True, "outsourcing": True}, WEB, "contract"),
        ("1mm", "signup", "general", ADULT, {"service_improvement": True}, None, "R-CON-2"),
        ("1mm", "signup", "general", ADULT, {"service_improvement": "yes"}, WEB, "true or false"),
    ],
)
def test_refusals(
    examples: dict[str, Policy],
    policy: str,
    channel: str,
    kind: str | None,
    data: dict[str, str],
    consents: dict[str, bool],
    method: ConsentMethod | None,
    match: str,
) -> None:
    with pytest.raises(CollectionError, match=match):
        plan_collection(examples[policy], channel, kind, data, consents, method, NOW)


def test_consent_method_must_be_one_the_channel_takes(examples: dict[str, Policy]) -> None:
    with pytest.raises(CollectionError, match="R-CON-2"):
        plan_collection(
            examples["ktmns"],
            "web_report",
            None,
            {"report_content": "TEST"},
            {"report_handling": True},
            ConsentMethod.FAX,
            NOW,
        )


def test_advertising_channel_consents_need_the_purpose(examples: dict[str, Policy]) -> None:
    pc = examples["partnercenter"]
    data = {"inquirer_name": "홍길동", "inquirer_phone": "010-0000-2001", "inquirer_email": "q@example.com"}
    with pytest.raises(CollectionError, match="R-MKT-1"):
        plan_collection(pc, "inquiry", "inquirer", data, {"inquiry": True, "marketing:sms": True}, WEB, NOW)
    plan = plan_collection(
        pc, "inquiry", "inquirer", data, {"inquiry": True, "marketing": True, "marketing:sms": True}, WEB, NOW
    )
    assert set(plan.grants) == {"inquiry", "marketing", "marketing:sms"}


def test_unique_identifier_needs_a_separate_consent_or_statute(examples: dict[str, Policy]) -> None:
    passport = Item(label="여권번호", category=ItemCategory.UNIQUE_IDENTIFIER)
    policy = with_item(examples["1mm"], "signup", "passport", passport, "member_management")
    data = {**ADULT, "passport": "M00000000"}
    with pytest.raises(CollectionError, match="R-CON-6"):
        plan_collection(policy, "signup", "general", data, {"service_improvement": True}, WEB, NOW)
    plan = plan_collection(
        policy, "signup", "general", data, {"service_improvement": True, "unique_identifiers": True}, WEB, NOW
    )
    assert plan.grants["unique_identifiers"] == ("passport",)


def test_rrn_needs_a_statute_even_with_consent(examples: dict[str, Policy]) -> None:
    rrn = Item(label="주민등록번호", category=ItemCategory.UNIQUE_IDENTIFIER, format=ItemFormat.RRN)
    policy = with_item(examples["1mm"], "signup", "rrn", rrn, "member_management")
    consents = {"service_improvement": True, "unique_identifiers": True}
    with pytest.raises(CollectionError, match="주민등록번호"):
        plan_collection(policy, "signup", "general", {**ADULT, "rrn": "900101-1234568"}, consents, WEB, NOW)


def test_a_policy_that_admits_no_children_refuses_them(examples: dict[str, Policy]) -> None:
    birth = Item(label="생년월일", format=ItemFormat.DATE)
    policy = with_item(examples["partnercenter"], "inquiry", "birth_date", birth, "inquiry")
    data = {"inquirer_name": "홍길동", "inquirer_phone": "010-0000-2001", "inquirer_email": "q@example.com"}
    with pytest.raises(ChildrenError, match="does not admit children under 14") as caught:
        plan_collection(
            policy, "inquiry", "inquirer", {**data, "birth_date": "2016-01-01"}, {"inquiry": True}, WEB, NOW
        )
    assert caught.value.rule == "R-CHILD-1"
    adult = plan_collection(
        policy, "inquiry", "inquirer", {**data, "birth_date": "1990-01-01"}, {"inquiry": True}, WEB, NOW
    )
    assert not adult.child


def test_age_is_counted_in_full_years_on_the_korean_date(examples: dict[str, Policy]) -> None:
    # 2026-03-02 03:00 UTC is 12:00 KST on 2026-03-02: someone born 2012-03-02 turned 14 that day.
    policy = examples["1mm"]
    plan = plan_collection(
        policy, "signup", "general", {**ADULT, "birth_date": "2012-03-02"}, {"service_improvement": True}, WEB, NOW
    )
    assert not plan.child
    with pytest.raises(ChildrenError, match="R-CHILD-3"):
        plan_collection(
            policy, "signup", "general", {**ADULT, "birth_date": "2012-03-03"}, {"service_improvement": True}, WEB, NOW
        )


def test_a_child_signs_up_with_the_representative(examples: dict[str, Policy]) -> None:
    data = {**ADULT, "guardian_name": "홍길동", "guardian_phone": "010-0000-1003"}
    rep = Representative(RepresentativeVerification.REAL_NAME_AGENCY, "pass-tx-1")
    plan = plan_collection(
        examples["1mm"], "signup", "child", data, {"service_improvement": True}, WEB, NOW, representative=rep
    )
    assert plan.child
    blank = Representative(RepresentativeVerification.REAL_NAME_AGENCY, " ")
    with pytest.raises(ChildrenError, match="evidence"):
        plan_collection(
            examples["1mm"], "signup", "child", data, {"service_improvement": True}, WEB, NOW, representative=blank
        )


def test_approval_channels_hold_sign_ups(examples: dict[str, Policy]) -> None:
    data = {
        "login_id": "partner1",
        "password": "correct horse battery staple",
        "manager_name": "홍길동",
        "manager_mobile": "010-0000-2001",
        "has_agency": "없음",
        "artist_name": "이영희",
    }
    plan = plan_collection(examples["partnercenter"], "signup", "artist", data, {"service_development": True}, WEB, NOW)
    assert plan.pending


def test_a_plan_reused_for_the_same_shape_still_checks_what_depends_on_the_values(examples: dict[str, Policy]) -> None:
    # A new sign-up's checks run once per shape (channel, type, item names, consents, method); the children's rules
    # read the values and run every time.
    policy = examples["1mm"]
    consents = {"service_improvement": True, "marketing": False}
    first = plan_collection(policy, "signup", "general", {**ADULT, "birth_date": "1990-01-01"}, consents, WEB, NOW)
    again = plan_collection(policy, "signup", "general", {**ADULT, "birth_date": "1991-02-02"}, consents, WEB, NOW)
    assert again == replace(first, items={**first.items, "birth_date": "1991-02-02"})
    assert again.held == tuple(sorted(again.items))  # every item came in under the contract purposes
    with pytest.raises(ChildrenError, match="R-CHILD-3"):  # the same shape, a child's birth date
        plan_collection(policy, "signup", "general", {**ADULT, "birth_date": "2018-05-05"}, consents, WEB, NOW)
    # Values the shape does not tell apart from the cached one are still refused by the full checks.
    with pytest.raises(CollectionError, match="R-CON-5"):  # a required item given empty
        plan_collection(
            policy, "signup", "general", {**ADULT, "email": "", "birth_date": "1990-01-01"}, consents, WEB, NOW
        )
    with pytest.raises(CollectionError, match="true or false"):  # 1 == True, but it is no answer
        plan_collection(
            policy, "signup", "general", {**ADULT, "birth_date": "1990-01-01"}, {**consents, "marketing": 0}, WEB, NOW
        )
    assert plan_collection(policy, "signup", "general", {**ADULT, "birth_date": "1990-01-01"}, consents, WEB, NOW)
