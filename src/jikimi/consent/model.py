"""Consent vocabulary: ledger events, subject records, consent topics and the representative's verification.

A *topic* is what one separate consent (R-CON-1) is given to. It is a string, so the ledger stores it as written:

- a purpose key whose legal basis is consent (``marketing``, ``service_improvement`` ...);
- ``<advertising purpose>:<channel>`` for each advertising channel the policy lists (``marketing:sms``), and
  ``<advertising purpose>:night`` when the policy sends at night (21:00-08:00, R-MKT-4);
- ``unique_identifiers`` and ``sensitive``: the separate consents of PIPA 제24조①1 and 제23조①1 (R-CON-6);
- ``provide:<recipient name>`` for each third-party recipient whose basis is consent (제17조①1, R-XFER-1), and
  ``transfer:<recipient> (<country>)`` for each overseas transfer whose basis is consent (제28조의8①1, R-XFER-8).
  The names are the policy's own, the keys ``documents.versions`` compares versions by, so a recipient keeps its
  consent id across versions. These topics are not purposes: they gate provision, never use (``may_provide``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from jikimi.policy.model import ConsentMethod, Policy, RepresentativeVerification

__all__ = [
    "NIGHT",
    "PROVIDE",
    "SENSITIVE",
    "TRANSFER",
    "UNIQUE_IDENTIFIERS",
    "ConsentEvent",
    "EventKind",
    "Representative",
    "SubjectRecord",
    "SubjectStatus",
    "advertising_topics",
    "is_sharing",
    "is_topic",
    "provide_topic",
    "sharing_topics",
    "transfer_topic",
]

UNIQUE_IDENTIFIERS = "unique_identifiers"
SENSITIVE = "sensitive"
NIGHT = "night"
PROVIDE = "provide"
TRANSFER = "transfer"


class EventKind(StrEnum):
    """What a ledger event records."""

    COLLECT = "collect"  # items came in through a channel for purposes that need no consent (contract, statute ...)
    GRANT = "grant"  # a separate consent was given
    WITHDRAW = "withdraw"  # the subject (or representative) withdrew a consent (R-DSR-7)
    END = "end"  # the controller ended the consents: an application refused, a membership closed


class SubjectStatus(StrEnum):
    """Where a subject stands. Only ``active`` subjects' data may be used."""

    PENDING = "pending"  # the channel holds sign-ups for review (approval: true)
    # A child's sign-up waiting for the legal representative's verified consent (R-CHILD-1/3): only the
    # representative's items (and the birth date) are kept, usable only to ask the representative, until it expires.
    AWAITING = "awaiting_rep"
    ACTIVE = "active"
    REFUSED = "refused"  # the application was refused; its data is destroyed
    WITHDRAWN = "withdrawn"  # a consent the membership depends on was withdrawn: handed to the retention flow


@dataclass(frozen=True, slots=True)
class Representative:
    """A legal representative's consent for a child (R-CHILD-1/2): how it was verified, and the evidence ref.

    ``evidence`` is a reference (a 본인인증 transaction id, a scanned form's id), never personal data.
    """

    verification: RepresentativeVerification
    evidence: str


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    """A subject as the consent domain sees it: no personal data, only the internal id and where it stands."""

    id: str
    subject_type: str
    channel: str
    status: SubjectStatus
    child: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """One append-only ledger entry. ``hash`` is SHA-256 over ``prev_hash`` and the canonical encoding.

    ``topics`` and ``items`` are keys of the policy, sorted. ``actor`` is ``self``, ``representative`` or an
    operator's id; ``evidence`` a reference, never personal data; ``at`` an aware UTC datetime.
    """

    seq: int
    subject: str
    kind: EventKind
    topics: tuple[str, ...]
    items: tuple[str, ...]
    policy_version: str
    method: ConsentMethod | None
    evidence: str | None
    actor: str
    at: datetime
    verification: RepresentativeVerification | None = None
    prev_hash: bytes = field(default=b"", repr=False)
    hash: bytes = field(default=b"", repr=False)


def advertising_topics(policy: Policy) -> frozenset[str]:
    """The per-channel and night-time advertising topics the policy knows (R-MKT-1, R-MKT-4)."""
    ad = policy.advertising
    if ad is None or ad.purpose is None:
        return frozenset()
    topics = {f"{ad.purpose}:{channel.value}" for channel in ad.channels}
    if ad.night_time:
        topics.add(f"{ad.purpose}:{NIGHT}")
    return frozenset(topics)


def provide_topic(recipient: str) -> str:
    """The consent id of provision to a third-party recipient (named as in ``policy.recipients``)."""
    return f"{PROVIDE}:{recipient}"


def transfer_topic(recipient: str, country: str) -> str:
    """The consent id of an overseas transfer (named as in ``policy.overseas_transfers``)."""
    return f"{TRANSFER}:{recipient} ({country})"


def sharing_topics(policy: Policy) -> dict[str, frozenset[str]]:
    """The provision and overseas-transfer consents the policy asks for -> the items each covers."""
    out = {provide_topic(r.name): frozenset(r.items) for r in policy.recipients if r.basis.kind.value == "consent"}
    for t in policy.overseas_transfers:
        if t.basis.kind.value == "consent":
            out[transfer_topic(t.recipient, t.country)] = frozenset(t.items)
    return out


def is_sharing(topic: str) -> bool:
    """Whether ``topic`` is a provision or overseas-transfer consent (it gates provision, not use)."""
    return topic.startswith((PROVIDE + ":", TRANSFER + ":"))


def is_topic(policy: Policy, topic: str) -> bool:
    """Whether ``topic`` is something this policy asks a separate consent for (see the module doc)."""
    purpose = policy.purposes.get(topic)
    if purpose is not None:
        return purpose.basis.kind.value == "consent"
    if is_sharing(topic):
        return topic in sharing_topics(policy)
    return topic in (UNIQUE_IDENTIFIERS, SENSITIVE) or topic in advertising_topics(policy)
