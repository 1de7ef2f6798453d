"""Collection rules: given a policy, a channel, a subject type, data and consents, what may be stored.

:func:`plan_collection` is pure: it reads the policy and returns a :class:`CollectionPlan` (items to store, the
consents to record, whether the subject is a child and waits for approval), or raises
:class:`~jikimi.errors.CollectionError` naming the channel, item or purpose and the rule id:

- unknown channel or subject type, or a subject type the channel does not take;
- an item the channel does not declare for the subject type (R-CON-5), or one that no purpose in force serves;
- a required item missing (R-CON-5);
- a consent to a topic the policy lacks, or to a purpose that rests on another legal basis (R-CON-1);
- a required consent refused or not given: which one, and that the service needs it (R-CON-4). Refused optional
  consents never block (R-CON-4);
- a unique identifier without its separate consent or a statute, an RRN without a statute, sensitive data without
  its separate consent or a statute (R-CON-6);
- a consent method the channel (or policy) does not list (R-CON-2);
- children's rules, delegated to :mod:`jikimi.consent.children`.

Value formats are checked by the vault when the plan is stored (nothing is written if one fails).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType

from jikimi.consent.children import age_on, birth_date_item, check_child, korean_date
from jikimi.consent.model import (
    NIGHT,
    SENSITIVE,
    UNIQUE_IDENTIFIERS,
    Representative,
    is_sharing,
    is_topic,
    sharing_topics,
)
from jikimi.errors import ChildrenError, CollectionError
from jikimi.policy.model import BasisKind, Channel, ChannelKind, ConsentMethod, ItemCategory, ItemFormat, Policy

__all__ = ["CollectionPlan", "channel_items", "plan_awaiting", "plan_collection", "required_topics"]

_SENSITIVE = frozenset({ItemCategory.SENSITIVE, ItemCategory.BIOMETRIC})


@dataclass(frozen=True, slots=True)
class CollectionPlan:
    """What a valid collection stores and records. ``grants`` maps each newly granted topic to the items it covers;
    ``collected`` maps the channel's non-consent purposes in play to theirs; ``identity`` names the searchable
    required items a new sign-up must not share with an existing subject; ``held`` every item of ``collected``,
    sorted (what the ledger's COLLECT event lists)."""

    channel: str
    subject_type: str | None
    items: Mapping[str, str]
    grants: Mapping[str, tuple[str, ...]]
    collected: Mapping[str, tuple[str, ...]]
    child: bool
    pending: bool
    identity: tuple[str, ...]
    held: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Shape:
    """A new sign-up's plan as far as it depends on the shape of the call alone (channel, subject type, the names of
    the items given, the consents and the method), not on the values: checked once, then reused."""

    declared: frozenset[str]
    required: frozenset[str]
    birth_item: str | None
    grants: Mapping[str, tuple[str, ...]]
    collected: Mapping[str, tuple[str, ...]]
    marketing: tuple[str, ...]  # granted marketing topics, sorted: refused for a child where the policy says so
    pending: bool
    identity: tuple[str, ...]
    held: tuple[str, ...]


_ShapeKey = tuple[str, str | None, tuple[str, ...], tuple[tuple[str, bool], ...], ConsentMethod | None]
_SHAPES_MAX = 1024


class _Rules:
    """What plan_collection would otherwise work out from the policy on every call (a sign-up is a hot path)."""

    __slots__ = ("channels", "item_purposes", "policy", "required", "shapes", "sharing", "special", "topics")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy  # held, so the id this is cached under cannot be reused by another policy
        self.topics: dict[str, bool] = {}
        self.channels: dict[tuple[str, str | None], tuple[frozenset[str], frozenset[str]]] = {}
        self.shapes: dict[_ShapeKey, _Shape] = {}
        self.required: dict[str, list[str]] = {}
        self.sharing = sharing_topics(policy)
        self.item_purposes = {
            item: frozenset(k for k, p in policy.purposes.items() if item in p.items) for item in policy.items
        }
        # Items that need a statute or a separate consent (R-CON-6); every other item skips those checks.
        self.special = frozenset(
            k
            for k, i in policy.items.items()
            if i.format is ItemFormat.RRN or i.category is ItemCategory.UNIQUE_IDENTIFIER or i.category in _SENSITIVE
        )

    def is_topic(self, topic: str) -> bool:
        known = self.topics.get(topic)
        if known is None:
            known = self.topics[topic] = is_topic(self.policy, topic)
        return known


_RULES: dict[int, _Rules] = {}


def _rules(policy: Policy) -> _Rules:
    rules = _RULES.get(id(policy))
    if rules is None or rules.policy is not policy:
        if len(_RULES) >= 32:
            _RULES.clear()
        rules = _RULES[id(policy)] = _Rules(policy)
    return rules


def channel_items(policy: Policy, channel: Channel, subject_type: str | None) -> tuple[set[str], set[str]]:
    """(declared, required) items of ``channel`` for ``subject_type``: the common ones plus the type's own."""
    declared = set(channel.required) | set(channel.optional)
    required = set(channel.required)
    per_type = channel.by_subject_type.get(subject_type or "")
    if per_type is not None:
        declared |= set(per_type.required) | set(per_type.optional)
        required |= set(per_type.required)
    return declared, required


def required_topics(policy: Policy, channel: Channel) -> list[str]:
    """The channel's purposes that rest on a consent the service needs (``consent: required`` or unstated)."""
    return [
        key
        for key in channel.purposes
        if policy.purposes[key].basis.kind is BasisKind.CONSENT and policy.purposes[key].consent != "optional"
    ]


def plan_collection(
    policy: Policy,
    channel_key: str,
    subject_type: str | None,
    data: Mapping[str, str],
    consents: Mapping[str, bool],
    method: ConsentMethod | None,
    now: datetime,
    *,
    representative: Representative | None = None,
    already: Set[str] = frozenset(),
    existing: bool = False,
    known_child: bool = False,
) -> CollectionPlan:
    """Check a collection against the policy (see the module doc). ``already`` holds the topics an existing subject
    has granted before; ``existing`` says the data joins a subject that exists (no identity check), ``known_child``
    that it is a child already. An existing subject whose new birth date makes it a child needs the
    representative's verified consent and items now, as a sign-up would (R-CHILD-1, ``plan.child`` is True)."""
    rules = _rules(policy)
    key = None
    if not existing and not known_child and not already and all(data.values()):
        # A new sign-up: everything but the children's rules depends on the call's shape, checked before.
        key = _shape_key(channel_key, subject_type, data, consents, method)
        shape = rules.shapes.get(key) if key is not None else None
        if shape is not None:
            return _plan_from(shape, policy, channel_key, subject_type, data, representative, now)
    plan = _plan(
        rules, channel_key, subject_type, data, consents, method, now, representative, already, existing, known_child
    )
    if key is not None:
        if len(rules.shapes) >= _SHAPES_MAX:
            rules.shapes.clear()
        rules.shapes[key] = _shape_of(rules, plan)
    return plan


def _plan(
    rules: _Rules,
    channel_key: str,
    subject_type: str | None,
    data: Mapping[str, str],
    consents: Mapping[str, bool],
    method: ConsentMethod | None,
    now: datetime,
    representative: Representative | None,
    already: Set[str],
    existing: bool,
    known_child: bool,
) -> CollectionPlan:
    """Every check of :func:`plan_collection`, in its order (the first refusal is the one raised)."""
    policy = rules.policy
    channel = policy.channels.get(channel_key)
    if channel is None:
        raise CollectionError(f"channel {channel_key!r} is not declared in the policy", "R-CON-5")
    _check_subject_type(policy, channel_key, channel, subject_type)
    known = rules.channels.get((channel_key, subject_type))
    if known is None:
        d, r = channel_items(policy, channel, subject_type)
        known = rules.channels[(channel_key, subject_type)] = (frozenset(d), frozenset(r))
    declared, required = known
    given = {key: value for key, value in data.items() if not (value == "" and key not in required)}
    for key in sorted(given):
        if key not in declared:
            raise CollectionError(
                f"channel {channel_key!r} does not collect item {key!r}" + _for_type(subject_type), "R-CON-5"
            )
    for key in sorted(required):
        if not given.get(key):
            raise CollectionError(f"channel {channel_key!r} requires item {key!r}" + _for_type(subject_type), "R-CON-5")
    granted = _check_consents(rules, channel_key, channel, consents, already, method)
    child = known_child
    if not known_child:
        child = check_child(policy, channel_key, subject_type or "", declared, required, given, representative, now)
    if child and policy.children.no_advertising:
        for topic in sorted(granted):
            if _is_marketing(policy, topic):
                raise ChildrenError(f"the service sends no advertising to children; topic {topic!r}", "R-CHILD-6")
    in_force = granted | set(already)
    collected = _collected(policy, channel, given)
    _check_purposes(rules, channel_key, given, in_force, collected)
    if not rules.special.isdisjoint(given):
        _check_special(policy, given, in_force, collected)
    grants = {topic: _topic_items(policy, topic, given) for topic in sorted(granted - set(already))}
    identity: tuple[str, ...] = ()
    if not existing and channel.kind is ChannelKind.SIGNUP:
        identity = tuple(sorted(k for k in required if policy.items[k].searchable))
    return CollectionPlan(
        channel=channel_key,
        subject_type=subject_type,
        items=dict(given),
        grants=grants,
        collected=collected,
        child=child,
        pending=channel.approval and not existing,
        identity=identity,
        held=tuple(sorted({i for items in collected.values() for i in items})),
    )


def _shape_key(
    channel: str, subject_type: str | None, data: Mapping[str, str], consents: Mapping[str, bool], method: object
) -> _ShapeKey | None:
    for value in consents.values():
        if value is not True and value is not False:
            return None  # 1 == True as a key: only true booleans share a shape (the full check refuses others)
    if method is not None and not isinstance(method, ConsentMethod):
        return None
    return (channel, subject_type, tuple(data), tuple(consents.items()), method)


def _shape_of(rules: _Rules, plan: CollectionPlan) -> _Shape:
    policy = rules.policy
    declared, required = rules.channels[(plan.channel, plan.subject_type)]
    marketing = tuple(sorted(t for t in plan.grants if _is_marketing(policy, t)))
    return _Shape(
        declared=declared,
        required=required,
        birth_item=birth_date_item(policy, declared),
        grants=MappingProxyType(dict(plan.grants)),
        collected=MappingProxyType(dict(plan.collected)),
        marketing=marketing,
        pending=plan.pending,
        identity=plan.identity,
        held=plan.held,
    )


def _plan_from(
    shape: _Shape,
    policy: Policy,
    channel_key: str,
    subject_type: str | None,
    data: Mapping[str, str],
    representative: Representative | None,
    now: datetime,
) -> CollectionPlan:
    """The plan of a call whose shape passed every check before: only the children's rules depend on the values."""
    given = dict(data)
    child = check_child(
        policy,
        channel_key,
        subject_type or "",
        shape.declared,
        shape.required,
        given,
        representative,
        now,
        birth_item=shape.birth_item,
    )
    if child and policy.children.no_advertising and shape.marketing:
        raise ChildrenError(f"the service sends no advertising to children; topic {shape.marketing[0]!r}", "R-CHILD-6")
    return CollectionPlan(
        channel=channel_key,
        subject_type=subject_type,
        items=given,
        grants=shape.grants,
        collected=shape.collected,
        child=child,
        pending=shape.pending,
        identity=shape.identity,
        held=shape.held,
    )


def plan_awaiting(
    policy: Policy, channel_key: str, subject_type: str | None, data: Mapping[str, str], now: datetime
) -> dict[str, str]:
    """The items a child's sign-up may keep while it waits for the representative's consent (R-CHILD-1/3).

    Only the representative's items (and the child's birth date, which shows the age) may come from the child
    before the representative consents. Raises :class:`~jikimi.errors.ChildrenError` when the policy admits no
    children or names no representative's items or purpose, the channel does not collect them for this subject type,
    anything else is given, one is missing, or the subject is not a child; CollectionError for an unknown channel
    or subject type.
    """
    rules = policy.children
    channel = policy.channels.get(channel_key)
    if channel is None:
        raise CollectionError(f"channel {channel_key!r} is not declared in the policy", "R-CON-5")
    _check_subject_type(policy, channel_key, channel, subject_type)
    if not rules.admitted:
        raise ChildrenError(
            f"this service does not admit children under {rules.age_threshold}; no data was kept", "R-CHILD-1"
        )
    reps = set(rules.representative_items)
    declared, required = channel_items(policy, channel, subject_type)
    if not reps or rules.purpose is None or not reps <= declared:
        raise ChildrenError(
            f"channel {channel_key!r} does not collect the legal representative's items" + _for_type(subject_type),
            "R-CHILD-3",
        )
    birth = birth_date_item(policy, declared)
    given = {k: v for k, v in data.items() if v != ""}
    extra = sorted(set(given) - reps - {birth})
    if extra:
        raise ChildrenError(
            f"before the representative consents only the representative's items are collected, not {extra[0]!r}",
            "R-CHILD-3",
        )
    missing = sorted(reps - set(given))
    if missing:
        raise ChildrenError(f"the representative's item {missing[0]!r} is missing", "R-CHILD-3")
    child = reps <= required
    if birth is not None and birth in given:
        with suppress(ValueError):  # a bad date: the vault's format check names the item and the rule
            child = age_on(date.fromisoformat(given[birth]), korean_date(now)) < rules.age_threshold
    if not child:
        raise ChildrenError(f"not a child under {rules.age_threshold}: sign up without waiting", "R-CHILD-1")
    return given


def _for_type(subject_type: str | None) -> str:
    return f" for subject type {subject_type!r}" if subject_type else ""


def _check_subject_type(policy: Policy, key: str, channel: Channel, subject_type: str | None) -> None:
    if subject_type is None:
        if channel.subject_types or channel.by_subject_type:
            kinds = ", ".join(channel.subject_types or tuple(channel.by_subject_type))
            raise CollectionError(f"channel {key!r} needs a subject type ({kinds})", "R-CON-5")
        return
    if subject_type not in policy.subject_types:
        raise CollectionError(f"subject type {subject_type!r} is not declared in the policy", "R-CON-5")
    if channel.subject_types and subject_type not in channel.subject_types:
        raise CollectionError(f"channel {key!r} does not take subject type {subject_type!r}", "R-CON-5")


def _check_consents(
    rules: _Rules,
    key: str,
    channel: Channel,
    consents: Mapping[str, bool],
    already: Set[str],
    method: ConsentMethod | None,
) -> set[str]:
    policy = rules.policy
    for topic, value in consents.items():
        if not isinstance(value, bool):
            raise CollectionError(f"consent to {topic!r} is given as true or false", "R-CON-1")
        if not rules.is_topic(topic):
            if is_sharing(topic):
                raise CollectionError(
                    f"the policy asks no consent to {topic!r}: no recipient or overseas transfer of that name rests "
                    "on consent",
                    "R-XFER-1",
                )
            purpose = policy.purposes.get(topic)
            if purpose is None:
                raise CollectionError(f"the policy asks no consent to {topic!r}: no such purpose", "R-CON-1")
            raise CollectionError(
                f"purpose {topic!r} rests on {purpose.basis.kind.value}, not on consent; it takes no consent", "R-CON-1"
            )
    granted = {topic for topic, value in consents.items() if value}
    needed = rules.required.get(key)
    if needed is None:
        needed = rules.required[key] = required_topics(policy, channel)
    for topic in needed:
        if topic not in granted and topic not in already:
            label = policy.purposes[topic].label
            raise CollectionError(
                f"channel {key!r} needs consent to purpose {topic!r} ({label}); the service cannot be provided "
                "without it. Optional consents may be refused",
                "R-CON-4",
            )
    for topic in sorted(granted):
        if is_sharing(topic):
            continue  # a consent of its own (R-CON-1), given with or without any purpose consent
        base = topic.partition(":")[0]
        if ":" in topic and base not in granted and base not in already:
            raise CollectionError(f"consent to {topic!r} needs consent to purpose {base!r} too", "R-MKT-1")
        if topic.endswith(":" + NIGHT) and not any(
            t.startswith(base + ":") and t != topic for t in granted | set(already)
        ):
            raise CollectionError(f"night-time consent {topic!r} needs a channel consent first", "R-MKT-4")
    if granted:
        allowed = channel.methods or policy.consent_methods
        if method is None:
            raise CollectionError("a consent needs the method it was given by", "R-CON-2")
        if allowed and method not in allowed:
            raise CollectionError(f"channel {key!r} does not take consent by {method.value!r}", "R-CON-2")
    return granted


def _is_marketing(policy: Policy, topic: str) -> bool:
    purpose = policy.purposes.get(topic.partition(":")[0])
    return purpose is not None and purpose.marketing


def _collected(policy: Policy, channel: Channel, given: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key in channel.purposes:
        purpose = policy.purposes[key]
        if purpose.basis.kind is BasisKind.CONSENT:
            continue
        items = tuple(sorted(set(purpose.items) & set(given)))
        if items:
            out[key] = items
    return out


def _check_purposes(
    rules: _Rules, key: str, given: Mapping[str, str], in_force: Set[str], collected: Mapping[str, tuple[str, ...]]
) -> None:
    serving = set(collected) | set(in_force)
    for item in sorted(given):
        if rules.item_purposes[item].isdisjoint(serving):
            raise CollectionError(
                f"item {item!r} on channel {key!r} serves no purpose in force (an optional consent it needs was not "
                "given); it is not kept",
                "R-CON-5",
            )


def _check_special(
    policy: Policy, given: Mapping[str, str], in_force: Set[str], collected: Mapping[str, tuple[str, ...]]
) -> None:
    for item in sorted(given):
        declared = policy.items[item]
        # A statute purpose of the channel that lists the item is the legal basis of 제24조①2 / 제23조①2.
        statute = any(
            policy.purposes[p].basis.kind is BasisKind.STATUTE and item in items for p, items in collected.items()
        )
        if declared.format is ItemFormat.RRN and not statute:
            raise CollectionError(f"item {item!r} (주민등록번호) needs a statute that requires it", "R-CON-6")
        if declared.category is ItemCategory.UNIQUE_IDENTIFIER and not statute and UNIQUE_IDENTIFIERS not in in_force:
            raise CollectionError(
                f"item {item!r} is a unique identifier: it needs the separate consent {UNIQUE_IDENTIFIERS!r} "
                "or a statute",
                "R-CON-6",
            )
        if declared.category in _SENSITIVE and not statute and SENSITIVE not in in_force:
            raise CollectionError(
                f"item {item!r} is sensitive: it needs the separate consent {SENSITIVE!r} or a statute", "R-CON-6"
            )


def _topic_items(policy: Policy, topic: str, given: Mapping[str, str]) -> tuple[str, ...]:
    if is_sharing(topic):
        # What the subject agrees may be provided: the recipient's items as the notice lists them (제17조②).
        return tuple(sorted(sharing_topics(policy)[topic]))
    if topic == UNIQUE_IDENTIFIERS:
        return tuple(sorted(k for k in given if policy.items[k].category is ItemCategory.UNIQUE_IDENTIFIER))
    if topic == SENSITIVE:
        return tuple(sorted(k for k in given if policy.items[k].category in _SENSITIVE))
    purpose = policy.purposes[topic.partition(":")[0]]
    return tuple(sorted(set(purpose.items) & set(given)))
