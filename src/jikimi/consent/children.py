"""Children (R-CHILD): who counts as a child, and what a child's sign-up needs.

Outcomes of :func:`check_child`: ``False`` (not a child); ``True`` (a child whose representative consented by a
method the policy allows, R-CHILD-1/2); or :class:`~jikimi.errors.ChildrenError` when the policy admits no
children, no representative consent was given, its method is not allowed, or the channel does not collect the
representative's items for this subject type.

Age is 만 나이 on the Korean calendar date (KST) of ``now``, from the birth-date item the channel collects. A
subject type that requires the representative's items (1mm's ``child``) is a child's sign-up whatever the age.
The representative's items are locked to ``children.purpose`` (R-CHILD-3): :func:`locked_items` names them for
the consent state, which refuses every other purpose for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import date, datetime, timedelta, timezone

from jikimi.consent.model import Representative
from jikimi.errors import ChildrenError
from jikimi.policy.model import ItemFormat, Policy

__all__ = [
    "KST",
    "age_on",
    "birth_date_item",
    "check_child",
    "check_representative",
    "korean_date",
    "locked_items",
]

KST = timezone(timedelta(hours=9), "KST")


def korean_date(now: datetime) -> date:
    """The calendar date in Korea at ``now`` (an aware datetime)."""
    return now.astimezone(KST).date()


def age_on(birth: date, today: date) -> int:
    """만 나이: full years since ``birth`` on ``today``."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def birth_date_item(policy: Policy, declared: Set[str]) -> str | None:
    """The subject's own birth-date item among ``declared``: a date item named ``*birth*``, not a representative's."""
    own = sorted(
        key
        for key in declared
        if "birth" in key
        and key not in policy.children.representative_items
        and policy.items[key].format is ItemFormat.DATE
    )
    return own[0] if own else None


def locked_items(policy: Policy) -> frozenset[str]:
    """Items usable only for the purpose of verifying the representative's consent (R-CHILD-3)."""
    return frozenset(policy.children.representative_items)


def check_child(
    policy: Policy,
    channel: str,
    subject_type: str,
    declared: Set[str],
    required: Set[str],
    data: Mapping[str, str],
    representative: Representative | None,
    now: datetime,
    *,
    birth_item: str | None = None,
) -> bool:
    """Whether this sign-up is a child's, after checking that a child may join this way (see the module doc).

    ``declared`` and ``required`` are the channel's items for ``subject_type``; ``birth_item`` is
    ``birth_date_item(policy, declared)`` if the caller knows it (found here otherwise). ``data`` has passed the
    format checks of :mod:`jikimi.consent.collection` only for its keys, so the birth date is parsed defensively.
    """
    rules = policy.children
    reps = set(rules.representative_items)
    as_child = bool(reps) and reps <= required
    if birth_item is None:
        birth_item = birth_date_item(policy, declared)
    if birth_item is not None and birth_item in data:
        try:
            birth = date.fromisoformat(data[birth_item])
        except ValueError:
            birth = None  # the vault's format check names the item and the rule
        if birth is not None and age_on(birth, korean_date(now)) < rules.age_threshold:
            as_child = True
    if not as_child:
        return False
    if not rules.admitted:
        raise ChildrenError(
            f"this service does not admit children under {rules.age_threshold}; no data was kept", "R-CHILD-1"
        )
    if not reps <= declared:
        raise ChildrenError(
            f"channel {channel!r} does not collect the legal representative's items for subject type "
            f"{subject_type!r}; a child under {rules.age_threshold} signs up through a subject type that does",
            "R-CHILD-3",
        )
    if representative is None:
        raise ChildrenError(
            f"a child under {rules.age_threshold} joins only with a legal representative's verified consent",
            "R-CHILD-1",
        )
    check_representative(policy, representative)
    missing = sorted(reps - set(data))
    if missing:
        raise ChildrenError(f"the representative's item {missing[0]!r} is missing", "R-CHILD-3")
    return True


def check_representative(policy: Policy, representative: Representative) -> None:
    """Refuse (ChildrenError) a representative's consent the policy does not accept: children not admitted
    (R-CHILD-1), a verification method the policy does not list, or no evidence reference (R-CHILD-2)."""
    rules = policy.children
    if not rules.admitted:
        raise ChildrenError(
            f"this service does not admit children under {rules.age_threshold}; no consent is taken for one",
            "R-CHILD-1",
        )
    if representative.verification not in rules.verification_methods:
        allowed = ", ".join(m.value for m in rules.verification_methods) or "none"
        raise ChildrenError(
            f"the representative's consent was verified by {representative.verification.value!r}; "
            f"the policy allows {allowed}",
            "R-CHILD-2",
        )
    if not representative.evidence.strip():
        raise ChildrenError("the representative's verification needs an evidence reference", "R-CHILD-2")
