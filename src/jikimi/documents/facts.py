"""Facts a published policy states: the shape ``jikimi policy facts --json`` prints and ``tests/gold/`` holds.

Contract: :class:`Facts` is plain, immutable data with a stable JSON form (:meth:`Facts.to_json`,
:meth:`Facts.from_json`): ``effective_date`` (ISO date, or ``YYYY-MM`` when the text gives only a month),
``officer`` (``name``, ``phone``, ``email``), ``retention`` (``record``, ``period`` as an ISO-8601 duration such as
``P5Y`` or ``null`` when the text gives an end event or nothing, ``basis``), ``trustees`` (``name``, ``task``),
``recipients`` (``name``, ``items``, ``purpose``) and ``items`` (``required``, ``optional``). The officer's phone and
e-mail are the ones published for reaching the officer: the officer's own, or else the privacy department's.
:func:`policy_facts` gives the facts a policy YAML publishes, worded as the rendered document words them, so that
importing a rendered policy can be compared with its source (the round trip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jikimi.policy.model import Policy, parse_period
from jikimi.policy.statutes import statutes
from jikimi.policy.summary import describe_retention

__all__ = ["Facts", "ItemLists", "Officer", "RecipientRow", "RetentionRow", "TrusteeRow", "policy_facts"]


@dataclass(frozen=True, slots=True)
class Officer:
    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class RetentionRow:
    record: str
    period: str | None
    basis: str | None = None


@dataclass(frozen=True, slots=True)
class TrusteeRow:
    name: str
    task: str | None = None


@dataclass(frozen=True, slots=True)
class RecipientRow:
    name: str
    items: str | None = None
    purpose: str | None = None


@dataclass(frozen=True, slots=True)
class ItemLists:
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Facts:
    effective_date: str | None = None
    officer: Officer = field(default_factory=Officer)
    retention: tuple[RetentionRow, ...] = ()
    trustees: tuple[TrusteeRow, ...] = ()
    recipients: tuple[RecipientRow, ...] = ()
    items: ItemLists = field(default_factory=ItemLists)

    def is_empty(self) -> bool:
        """True when nothing at all was found."""
        o = self.officer
        return not (
            self.effective_date
            or o.name
            or o.phone
            or o.email
            or self.retention
            or self.trustees
            or self.recipients
            or self.items.required
            or self.items.optional
        )

    def to_json(self) -> dict[str, Any]:
        o = self.officer
        return {
            "effective_date": self.effective_date,
            "officer": {"name": o.name, "phone": o.phone, "email": o.email},
            "retention": [{"record": r.record, "period": r.period, "basis": r.basis} for r in self.retention],
            "trustees": [{"name": t.name, "task": t.task} for t in self.trustees],
            "recipients": [{"name": r.name, "items": r.items, "purpose": r.purpose} for r in self.recipients],
            "items": {"required": list(self.items.required), "optional": list(self.items.optional)},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Facts:
        o = data.get("officer") or {}
        items = data.get("items") or {}
        return cls(
            effective_date=data.get("effective_date"),
            officer=Officer(o.get("name"), o.get("phone"), o.get("email")),
            retention=tuple(RetentionRow(r["record"], r.get("period"), r.get("basis")) for r in data["retention"]),
            trustees=tuple(TrusteeRow(t["name"], t.get("task")) for t in data["trustees"]),
            recipients=tuple(
                RecipientRow(r["name"], r.get("items"), r.get("purpose")) for r in data.get("recipients", [])
            ),
            items=ItemLists(tuple(items.get("required", ())), tuple(items.get("optional", ()))),
        )


def _iso(period: str | None) -> str | None:
    if period is None:
        return None
    parsed = parse_period(period)
    if parsed is None or parsed[0] == 0:
        return None  # 영구 and "지체 없이 파기" are not lengths of time
    return f"P{parsed[0]}{parsed[1].upper()}"


def policy_facts(policy: Policy) -> Facts:
    """The facts ``policy`` publishes, worded as :mod:`jikimi.documents.content` renders them."""
    rows = []
    for rule in policy.retention:
        entry = statutes().get(rule.basis.statute or "")
        # Same wording as the rendered retention table (content._retention), which this module may not import.
        basis = describe_retention(rule).partition(" — ")[2]
        if rule.basis.purpose:
            basis = f"{policy.purposes[rule.basis.purpose].label} 목적 달성 시까지 필요"
        period = _iso(rule.period or (entry.period if entry else None))
        rows.append(RetentionRow(rule.label, period, basis.removeprefix("근거: ")))
    o = policy.officers
    dept = o.department
    officer = Officer(
        o.privacy_officer.name,
        o.privacy_officer.phone or (dept.phone if dept else None),
        o.privacy_officer.email or (dept.email if dept else None),
    )
    return Facts(
        effective_date=policy.effective_date.isoformat(),
        officer=officer,
        retention=tuple(rows),
        trustees=tuple(TrusteeRow(t.name, "; ".join(t.tasks) or None) for t in policy.trustees),
        recipients=tuple(
            RecipientRow(
                r.name,
                ", ".join(policy.items[k].label for k in r.items if k in policy.items) or None,
                ", ".join(r.purposes) or None,
            )
            for r in policy.recipients
        ),
    )
