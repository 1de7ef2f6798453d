"""The one gate: each refusal rule, on the 1mm policy and its declared roles (R-SEC-2/3/5/23, R-XFER-2 ...)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jikimi.access import AccessRequest, Decision, Operator, SubjectFacts, decide
from jikimi.access.gate import decide_all
from jikimi.policy import load_policy

POLICY_1MM = Path(__file__).resolve().parents[2] / "examples" / "policies" / "1mm.yaml"
AT = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)  # 12:00 KST


POLICY = load_policy(POLICY_1MM)


STAFF = Operator("op-kim", "other_staff")
MARKETER = Operator("op-lee", "marketing_staff")
FACTS = {"s1": SubjectFacts(consented=frozenset({"marketing"}))}


def request(**changes: object) -> AccessRequest:
    base = AccessRequest(
        operator="op-kim",
        subjects=("s1",),
        items=("login_id", "mobile_phone"),
        purpose="member_management",
        task="회원 문의 응대",
        source="10.0.0.7",
        at=AT,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_allowed_read() -> None:
    assert decide(POLICY, request(), STAFF, FACTS) == Decision(True)


@pytest.mark.parametrize(
    ("req", "operator", "facts", "rule", "says"),
    [
        (request(), None, FACTS, "R-SEC-5", "has no account"),
        (request(), Operator("op-kim", "other_staff", active=False), FACTS, "R-SEC-3", "disabled"),
        (request(purpose="selling_lists"), STAFF, FACTS, "R-XFER-2", "not declared"),
        (request(purpose="marketing", items=("mobile_phone",)), STAFF, FACTS, "R-SEC-2", "may not serve"),
        (request(items=("card_number",)), STAFF, FACTS, "R-XFER-2", "does not use item 'card_number'"),
        (
            request(operator="op-lee", purpose="marketing", items=("email",)),
            MARKETER,
            {"s1": SubjectFacts()},
            "R-CON-1",
            "has not consented",
        ),
        (request(), STAFF, {"s1": SubjectFacts(suspended=frozenset({"member_management"}))}, "R-DSR-6", "suspend"),
        (request(), STAFF, {"s1": SubjectFacts(held_back=frozenset({"mobile_phone"}))}, "R-DSR-5", "correction"),
        (
            request(),
            STAFF,
            {"s1": SubjectFacts(separated={"login_id": "dispute_handling"})},
            "R-RET-2",
            "separate storage",
        ),
        (request(subjects=("s2",)), STAFF, FACTS, "R-XFER-2", "unknown"),
        (request(download=True), STAFF, FACTS, "R-SEC-23", "a download needs a reason"),
    ],
)
def test_each_refusal_names_its_rule(
    req: AccessRequest, operator: Operator | None, facts: dict[str, SubjectFacts], rule: str, says: str
) -> None:
    decision = decide(POLICY, req, operator, facts)
    assert not decision.allowed
    assert decision.rule == rule
    assert says in decision.message
    # The batch form decides the same, with its per-batch checks shared between requests.
    allowed = request(subjects=("s1",)) if req.operator == "op-kim" else req
    batch = [req, allowed, req]
    expected = [(r, decide(POLICY, r, operator, facts)) for r in batch]
    assert decide_all(POLICY, batch, {req.operator: operator}, facts) == expected


def test_representative_items_are_locked_to_their_purpose() -> None:
    privacy = Operator("op-park", "privacy_staff")
    # guardian_phone is used by no other purpose in 1mm; the lock holds even if a purpose listed it.
    locked = request(operator="op-park", purpose="guardian_consent", items=("guardian_phone",))
    assert decide(POLICY, locked, privacy, FACTS).allowed
    widened = POLICY.model_copy(
        update={
            "purposes": {
                **POLICY.purposes,
                "member_management": POLICY.purposes["member_management"].model_copy(
                    update={"items": (*POLICY.purposes["member_management"].items, "guardian_phone")}
                ),
            }
        }
    )
    refused = decide(widened, request(items=("guardian_phone",)), STAFF, FACTS)
    assert refused.rule == "R-CHILD-3"


def test_separated_items_are_readable_for_the_purpose_that_keeps_them() -> None:
    facts = {"s1": SubjectFacts(separated={"login_id": "member_management"})}
    assert decide(POLICY, request(items=("login_id",)), STAFF, facts).allowed


def test_bulk_reads_need_a_reason() -> None:
    many = {f"s{i}": SubjectFacts() for i in range(150)}
    bulk = request(subjects=tuple(many))
    assert decide(POLICY, bulk, STAFF, many).rule == "R-SEC-23"
    assert decide(POLICY, replace(bulk, reason="분기별 회원 정보 정비"), STAFF, many).allowed
    assert decide(POLICY, bulk, STAFF, many, bulk_threshold=200).allowed


EXAMPLES = POLICY_1MM.parent


@pytest.mark.parametrize("name", ["1mm", "partnercenter", "ooccnnmm", "123solution", "ktmns"])
def test_every_declared_role_reads_for_its_purposes_and_nothing_else(name: str) -> None:
    policy = load_policy(EXAMPLES / f"{name}.yaml")
    assert policy.roles, f"{name} declares no roles"
    facts = {"s1": SubjectFacts(consented=frozenset(policy.purposes))}
    for role_key, role in policy.roles.items():
        operator = Operator(f"op-{role_key}", role_key)
        for purpose_key in role.purposes:
            items = [i for i in policy.purposes[purpose_key].items if i not in policy.children.representative_items]
            if not items and purpose_key != policy.children.purpose:
                continue
            items = items or list(policy.children.representative_items)
            asked = request(operator=operator.id, purpose=purpose_key, items=(items[0],))
            assert decide(policy, asked, operator, facts).allowed, (name, role_key, purpose_key)
        others = [p for p in policy.purposes if p not in role.purposes and policy.purposes[p].items]
        if others:
            item = policy.purposes[others[0]].items[0]
            refused = decide(policy, request(operator=operator.id, purpose=others[0], items=(item,)), operator, facts)
            assert refused.rule == "R-SEC-2", (name, role_key, others[0])
