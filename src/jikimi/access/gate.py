"""The one gate every read of personal data passes: purpose, consent, role, suspension, locks, separate storage.

:func:`decide` is pure: the engine gathers the operator and each subject's :class:`SubjectFacts` (no decryption),
asks the gate, decrypts only on an allowed decision, and appends an access record either way. The checks run in a
fixed order and the first that fails refuses, naming its rule:

1. the operator exists and is active (R-SEC-5, R-SEC-3);
2. the purpose is declared and the operator's role may serve it (R-SEC-2);
3. the policy collects each item for that purpose (purpose limitation, PIPA 제18조: R-XFER-2);
4. a child's representative items are read only for their locked purpose (R-CHILD-3);
5. items in separate storage are read only for the purpose that keeps them (R-RET-2);
6. a consent-based purpose is covered by the subject's current consent (R-CON-1, R-DSR-7);
7. the subject has not suspended that processing (R-DSR-6) and no item is held back for correction (R-DSR-5);
8. bulk reads and downloads carry a reason (R-SEC-23).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from jikimi.access.model import AccessRequest, Decision, Operator, SubjectFacts
from jikimi.policy.model import BasisKind, Policy

__all__ = ["DEFAULT_BULK_THRESHOLD", "decide", "decide_all"]

DEFAULT_BULK_THRESHOLD = 100

_ALLOWED = Decision(True)


def _refuse(rule: str, message: str) -> Decision:
    return Decision(False, rule, message)


def decide(
    policy: Policy,
    request: AccessRequest,
    operator: Operator | None,
    facts: Mapping[str, SubjectFacts],
    *,
    bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
) -> Decision:
    """Whether ``request`` may read its items; ``facts`` holds one entry per requested subject."""
    refused = _request_rules(policy, request, operator)
    if refused is not None:
        return refused
    return _subject_rules(policy, request, facts, bulk_threshold)


def decide_all(
    policy: Policy,
    requests: Iterable[AccessRequest],
    operators: Mapping[str, Operator | None],
    facts: Mapping[str, SubjectFacts],
    *,
    bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
) -> list[tuple[AccessRequest, Decision]]:
    """:func:`decide` for each of ``requests`` (their operators in ``operators``): the same decisions, with the rules
    that depend only on operator, purpose and items checked once per batch for each combination of them."""
    out = []
    checked: dict[tuple[str, str, tuple[str, ...]], Decision | None] = {}
    for request in requests:
        key = (request.operator, request.purpose, request.items)
        if key in checked:
            refused = checked[key]
        else:
            refused = checked[key] = _request_rules(policy, request, operators[request.operator])
        out.append((request, refused or _subject_rules(policy, request, facts, bulk_threshold)))
    return out


def _request_rules(policy: Policy, request: AccessRequest, operator: Operator | None) -> Decision | None:
    """Rules 1-4: the refusal, or None."""
    if operator is None:
        return _refuse("R-SEC-5", f"operator {request.operator!r} has no account")
    if not operator.active:
        return _refuse("R-SEC-3", f"operator {operator.id!r} is disabled")
    purpose = policy.purposes.get(request.purpose)
    if purpose is None:
        return _refuse("R-XFER-2", f"purpose {request.purpose!r} is not declared in the policy")
    role = policy.roles.get(operator.role)
    if role is None or request.purpose not in role.purposes:
        return _refuse("R-SEC-2", f"role {operator.role!r} may not serve purpose {request.purpose!r}")
    outside = [item for item in request.items if item not in purpose.items]
    if outside:
        return _refuse("R-XFER-2", f"purpose {request.purpose!r} does not use item {outside[0]!r}")
    locked = set(policy.children.representative_items)
    if policy.children.purpose and request.purpose != policy.children.purpose:
        hit = [item for item in request.items if item in locked]
        if hit:
            return _refuse("R-CHILD-3", f"item {hit[0]!r} is kept only to verify a legal representative's consent")
    return None


def _subject_rules(
    policy: Policy, request: AccessRequest, facts: Mapping[str, SubjectFacts], bulk_threshold: int
) -> Decision:
    """Rules 5-8, once rules 1-4 passed."""
    needs_consent = policy.purposes[request.purpose].basis.kind is BasisKind.CONSENT
    for subject in request.subjects:
        found = facts.get(subject)
        if found is None:
            return _refuse("R-XFER-2", f"subject {subject!r} is unknown")
        if found.separated:
            for item in request.items:
                if item in found.separated and found.separated[item] != request.purpose:
                    return _refuse("R-RET-2", f"item {item!r} of subject {subject!r} is in separate storage")
        if needs_consent and request.purpose not in found.consented:
            return _refuse("R-CON-1", f"subject {subject!r} has not consented to purpose {request.purpose!r}")
        if request.purpose in found.suspended:
            return _refuse("R-DSR-6", f"subject {subject!r} asked to suspend purpose {request.purpose!r}")
        if found.held_back:
            held = [item for item in request.items if item in found.held_back]
            if held:
                return _refuse("R-DSR-5", f"item {held[0]!r} of subject {subject!r} is held back pending a correction")
    bulk = len(request.subjects) > bulk_threshold
    if (bulk or request.download) and not (request.reason and request.reason.strip()):
        what = "a download" if request.download else f"a read of {len(request.subjects)} subjects"
        return _refuse("R-SEC-23", f"{what} needs a reason")
    return _ALLOWED
