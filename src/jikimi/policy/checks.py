"""Cross-reference checks on a policy whose shape is already valid.

Each check yields ``(path, message)``; the loader turns the path into a file position. The checks are the ones a
policy must pass to be loaded at all (a reference to nothing, an item nothing uses, a child admitted with no way to
verify the representative); advisory findings against the law belong to the linter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from jikimi.policy.model import ClockStart, LegalBasis, Policy
from jikimi.policy.statutes import statutes, unknown_statute_message

__all__ = ["check_policy"]

PathKey = tuple[str | int, ...]
Finding = tuple[PathKey, str]

_OPEN_ENDED = {ClockStart.DISPUTE_RESOLUTION, ClockStart.CONSENT_PERIOD_END}


def check_policy(policy: Policy) -> list[Finding]:
    """Every cross-reference problem of ``policy``; empty when it is consistent."""
    return [
        *_item_references(policy),
        *_purpose_references(policy),
        *_subject_type_references(policy),
        *_unused_items(policy),
        *_statute_references(policy),
        *_retention_rules(policy),
        *_children(policy),
    ]


def _refs(known: Iterable[str], used: Iterable[str], path: PathKey, what: str) -> Iterator[Finding]:
    names = set(known)
    for i, name in enumerate(used):
        if name not in names:
            yield (*path, i), f"{'.'.join(map(str, path))}: {what} '{name}' is not declared"


def _ref(known: Iterable[str], name: str, path: PathKey, what: str) -> Iterator[Finding]:
    """One reference at ``path`` (the value itself, not a list)."""
    if name not in set(known):
        yield path, f"{'.'.join(map(str, path))}: {what} '{name}' is not declared"


def _item_uses(policy: Policy) -> Iterator[tuple[PathKey, tuple[str, ...]]]:
    """Every place that lists items, with its path."""
    for key, ch in policy.channels.items():
        yield ("channels", key, "required"), ch.required
        yield ("channels", key, "optional"), ch.optional
        for st, per in ch.by_subject_type.items():
            yield ("channels", key, "by_subject_type", st, "required"), per.required
            yield ("channels", key, "by_subject_type", st, "optional"), per.optional
    for key, purpose in policy.purposes.items():
        yield ("purposes", key, "items"), purpose.items
    for key, rk in policy.record_kinds.items():
        yield ("record_kinds", key, "items"), rk.items
    for i, rule in enumerate(policy.retention):
        yield ("retention", i, "items"), rule.items
    for i, trustee in enumerate(policy.trustees):
        yield ("trustees", i, "items"), trustee.items
    for i, recipient in enumerate(policy.recipients):
        yield ("recipients", i, "items"), recipient.items
    for i, transfer in enumerate(policy.overseas_transfers):
        yield ("overseas_transfers", i, "items"), transfer.items
    yield ("children", "representative_items"), policy.children.representative_items
    if policy.cookies:
        yield ("cookies", "items"), policy.cookies.items
    for i, decision in enumerate(policy.automated_decisions):
        yield ("automated_decisions", i, "items"), decision.items


def _item_references(policy: Policy) -> Iterator[Finding]:
    for path, used in _item_uses(policy):
        yield from _refs(policy.items, used, path, "item")
    for i, rule in enumerate(policy.retention):
        yield from _refs(policy.record_kinds, rule.record_kinds, ("retention", i, "record_kinds"), "record kind")


def _purpose_references(policy: Policy) -> Iterator[Finding]:
    known = policy.purposes
    for key, ch in policy.channels.items():
        yield from _refs(known, ch.purposes, ("channels", key, "purposes"), "purpose")
    for i, rule in enumerate(policy.retention):
        if rule.use:
            yield from _ref(known, rule.use, ("retention", i, "use"), "purpose")
        if rule.basis.purpose:
            yield from _ref(known, rule.basis.purpose, ("retention", i, "basis", "purpose"), "purpose")
    if policy.children.purpose:
        yield from _ref(known, policy.children.purpose, ("children", "purpose"), "purpose")
    if policy.advertising and policy.advertising.purpose:
        yield from _ref(known, policy.advertising.purpose, ("advertising", "purpose"), "purpose")
    for key, role in policy.roles.items():
        yield from _refs(known, role.purposes, ("roles", key, "purposes"), "purpose")


def _subject_type_references(policy: Policy) -> Iterator[Finding]:
    known = policy.subject_types
    for key, ch in policy.channels.items():
        yield from _refs(known, ch.subject_types, ("channels", key, "subject_types"), "subject type")
        for st in ch.by_subject_type:
            yield from _ref(known, st, ("channels", key, "by_subject_type", st), "subject type")


def _unused_items(policy: Policy) -> Iterator[Finding]:
    used = {item for purpose in policy.purposes.values() for item in purpose.items}
    for key in policy.items:
        if key not in used:
            yield (
                ("items", key),
                (
                    f"items.{key}: item '{key}' is used by no purpose; "
                    "name it in a purpose's items or remove it (R-CON-5)"
                ),
            )


def _bases(policy: Policy) -> Iterator[tuple[PathKey, LegalBasis]]:
    for key, purpose in policy.purposes.items():
        yield ("purposes", key, "basis"), purpose.basis
    for i, recipient in enumerate(policy.recipients):
        yield ("recipients", i, "basis"), recipient.basis
    for i, transfer in enumerate(policy.overseas_transfers):
        yield ("overseas_transfers", i, "basis"), transfer.basis


def _statute_references(policy: Policy) -> Iterator[Finding]:
    table = statutes()
    for path, basis in _bases(policy):
        if basis.statute and basis.statute not in table:
            yield (
                (*path, "statute"),
                f"{'.'.join(map(str, path))}.statute: " + (unknown_statute_message(basis.statute)),
            )
    for i, rule in enumerate(policy.retention):
        key = rule.basis.statute
        if key and key not in table:
            yield (
                ("retention", i, "basis", "statute"),
                (f"retention.{i}.basis.statute: {unknown_statute_message(key)}"),
            )


def _retention_rules(policy: Policy) -> Iterator[Finding]:
    table = statutes()
    seen: dict[str, int] = {}
    for i, rule in enumerate(policy.retention):
        where = f"retention.{i} ({rule.key})"
        if rule.key in seen:
            yield ("retention", i, "key"), f"{where}: key '{rule.key}' is used twice"
        seen.setdefault(rule.key, i)
        if not rule.items and not rule.record_kinds:
            yield ("retention", i), f"{where}: name the items or record kinds it keeps"
        if rule.period is None and rule.starts not in _OPEN_ENDED:
            entry = table.get(rule.basis.statute or "")
            if entry is None or entry.period is None:
                yield (
                    ("retention", i),
                    (f"{where}: no period; give one (e.g. 3m, 5y) or a statute whose catalogue entry sets it"),
                )


def _children(policy: Policy) -> Iterator[Finding]:
    children = policy.children
    if not children.admitted:
        return
    if not children.verification_methods:
        yield (
            ("children", "admitted"),
            (
                "children: children are admitted but no verification_methods say how a legal "
                "representative's consent is verified (R-CHILD-2)"
            ),
        )
    if not children.representative_items:
        yield (
            ("children", "admitted"),
            (
                "children: children are admitted but no representative_items say what is collected "
                "about the legal representative (R-CHILD-3)"
            ),
        )
    if children.purpose is None:
        yield (
            ("children", "admitted"),
            (
                "children: children are admitted; name the purpose the representative's items are "
                "locked to (purpose: ...)"
            ),
        )
