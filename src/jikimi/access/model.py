"""Operators (개인정보취급자), access requests, decisions and the records that prove them (R-SEC-2..5, R-SEC-21)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = ["AccessRequest", "Decision", "Operator", "Outcome", "Restriction", "RestrictionKind", "SubjectFacts"]


@dataclass(frozen=True, slots=True)
class Operator:
    """A staff member with an individual account (R-SEC-5) and one role the policy declares."""

    id: str
    role: str
    active: bool = True


class Outcome(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """One read of personal data: who, whose, what, why, from where, and for which task.

    ``subjects`` holds pseudonymous subject ids (never personal data); ``reason`` is required for bulk reads and
    downloads (R-SEC-23).
    """

    operator: str
    subjects: tuple[str, ...]
    items: tuple[str, ...]
    purpose: str
    task: str
    source: str
    at: datetime
    reason: str | None = None
    download: bool = False


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    """What the gate needs to know about one subject, gathered by the engine without decrypting anything.

    ``consented``: the consent-based purposes the subject's consent currently covers. ``suspended``: purposes the
    subject asked to stop (처리정지, R-DSR-6). ``held_back``: items held back pending a correction (R-DSR-5).
    ``separated``: items held only in separate storage, each with the one purpose it may serve (R-RET-2).
    """

    consented: frozenset[str] = frozenset()
    suspended: frozenset[str] = frozenset()
    held_back: frozenset[str] = frozenset()
    separated: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """The gate's answer. A refusal names the rule that refused (a law.md id) and says why, without values."""

    allowed: bool
    rule: str | None = None
    message: str = ""

    @property
    def outcome(self) -> Outcome:
        return Outcome.ALLOWED if self.allowed else Outcome.REFUSED


class RestrictionKind(StrEnum):
    SUSPENSION = "suspension"  # the subject asked to stop processing for a purpose (처리정지, R-DSR-6)
    CORRECTION = "correction"  # an item is held back until its correction is done (R-DSR-5)


@dataclass(frozen=True, slots=True)
class Restriction:
    """One suspension of a purpose or one item held back, with who placed it and when, and, once lifted, who lifted
    it and when. ``target`` is the purpose (a suspension) or the item (a correction hold). ``reason`` is free text
    from staff (e.g. the request's reference): kept out of the repr like any text that might carry personal data."""

    id: int
    subject: str
    kind: RestrictionKind
    target: str
    placed_at: datetime
    placed_by: str
    reason: str | None = field(default=None, repr=False)
    released_at: datetime | None = None
    released_by: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None
