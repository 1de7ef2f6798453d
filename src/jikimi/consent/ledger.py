"""The consent ledger: append-only, hash-chained events, their verification and their receipts.

One chain runs over every event of a database in ``seq`` order (1, 2, 3 ...): each event's ``hash`` is
``SHA-256(prev_hash || canonical(event))`` and the first event's ``prev_hash`` is 32 zero bytes. Deleting, editing,
reordering or inserting an event breaks the chain at that point; :func:`verify` reports the first broken link.
Two writers that race for the same ``seq`` cannot fork the chain: the store's primary key refuses the second.

The canonical encoding is compact JSON (sorted keys, UTF-8, no spaces) of every field but the hashes, with the time
as ISO 8601 UTC to the microsecond, so any implementation can recompute it. A store keeps exactly these bytes as
the event's body (a :data:`LedgerRecord`), so verification hashes what is stored, without re-encoding, and the
event is read back from the body it was hashed from (an edited body cannot go unnoticed).

**Tombstones.** When the proof period of a destroyed subject's consents ends (:mod:`jikimi.retention.proof`), each
of its events keeps its place in the chain (``seq``, ``prev_hash``, ``hash``) but its body is replaced by
:func:`tombstone` (the seq and the pseudonymous subject id, nothing else). Because a hash covers
``prev_hash || body``, a tombstone's own hash cannot be recomputed: verification accepts a record whose hash does
not match its body only when that body is exactly the tombstone of that seq and subject, and still checks that it
links to the record before it (and the record after it links to its stored hash). Edits to every other event are
detected as before. What a tombstone cannot prove is that the destroyed body was the one hashed: whoever can write
the table can turn a live event into a tombstone unseen by the chain, so :class:`Verification` counts the
tombstones, and that count must equal the events the destruction log records as erased (``consent_proof``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jikimi.consent.children import KST
from jikimi.consent.model import ConsentEvent, EventKind
from jikimi.policy.model import ConsentMethod, Policy, RepresentativeVerification

__all__ = [
    "GENESIS",
    "Break",
    "LedgerRecord",
    "Verification",
    "canonical",
    "canonical_dict",
    "chain",
    "chain_records",
    "from_record",
    "is_tombstone",
    "receipt",
    "receipt_text",
    "timestamp",
    "to_record",
    "tombstone",
    "verify",
    "verify_events",
]

#: An event as stored: (seq, subject, canonical body, prev_hash, hash).
LedgerRecord = tuple[int, str, bytes, bytes, bytes]

GENESIS = bytes(32)
# One encoder for every event: json.dumps with options builds a new encoder per call (a third of a hash's cost).
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


@dataclass(frozen=True, slots=True)
class Break:
    """The first broken link: the event ``seq`` and what is wrong with it."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"event {self.seq}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of :func:`verify`: how many events were checked, the first break if any, and how many of the
    checked events are tombstones (destroyed at the end of their proof period; see the module doc)."""

    events: int
    broken: Break | None
    tombstones: int = 0

    @property
    def ok(self) -> bool:
        return self.broken is None


def timestamp(at: datetime) -> str:
    """The ledger's text form of a time (UTC, microseconds): what the hash covers and what stores keep."""
    # isoformat is C and several times faster than strftime; the same text ("%Y-%m-%dT%H:%M:%S.%fZ").
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical(event: ConsentEvent) -> bytes:
    """The bytes an event's hash covers (see the module doc)."""
    return _canonical(event, event.seq, timestamp(event.at))


# The canonical form, written out: the same bytes as ``_encode`` of the dict of fields (sorted keys, compact,
# UTF-8), built by formatting instead of walking a dict (a third of a sign-up's ledger cost went to the encoder).
# tests/consent/test_ledger.py checks the two agree, escapes included.
_FORMAT = (
    '{"actor":%s,"at":"%s","evidence":%s,"items":[%s],"kind":"%s","method":%s,"policy_version":%s,"seq":%d,'
    '"subject":%s,"topics":[%s],"verification":%s}'
)
_string = json.encoder.encode_basestring  # what JSONEncoder(ensure_ascii=False) uses for every str


def _canonical(event: ConsentEvent, seq: int, at: str) -> bytes:
    s = _string
    method, verification = event.method, event.verification
    return (
        _FORMAT
        % (
            s(event.actor),
            at,
            "null" if event.evidence is None else s(event.evidence),
            ",".join(map(s, event.items)),
            event.kind.value,
            "null" if method is None else s(method.value),
            s(event.policy_version),
            seq,
            s(event.subject),
            ",".join(map(s, event.topics)),
            "null" if verification is None else s(verification.value),
        )
    ).encode()


def canonical_dict(event: ConsentEvent) -> bytes:
    """The canonical bytes through the JSON encoder: the reference :func:`canonical` must equal."""
    body: dict[str, Any] = {
        "actor": event.actor,
        "at": timestamp(event.at),
        "evidence": event.evidence,
        "items": list(event.items),
        "kind": event.kind.value,
        "method": event.method.value if event.method else None,
        "policy_version": event.policy_version,
        "seq": event.seq,
        "subject": event.subject,
        "topics": list(event.topics),
        "verification": event.verification.value if event.verification else None,
    }
    return _encode(body).encode()


def tombstone(seq: int, subject: str) -> bytes:
    """The body a destroyed event keeps in place of its canonical bytes: its seq and subject id, nothing else."""
    return b'{"seq":%d,"subject":%s,"tombstone":true}' % (seq, _string(subject).encode())


def is_tombstone(body: bytes) -> bool:
    """Is a stored body a :func:`tombstone`? (A canonical body ends with its ``verification`` field.)"""
    return bytes(body).endswith(b',"tombstone":true}')


def to_record(event: ConsentEvent) -> LedgerRecord:
    """The stored form of a chained event."""
    return (event.seq, event.subject, canonical(event), event.prev_hash, event.hash)


_KINDS = {k.value: k for k in EventKind}
_METHODS = {m.value: m for m in ConsentMethod}


def from_record(record: LedgerRecord) -> ConsentEvent:
    """The event a stored record holds, read from the body its hash covers."""
    _seq, _subject, body, prev, digest = record
    b = json.loads(body)
    return ConsentEvent(
        seq=b["seq"],
        subject=b["subject"],
        kind=_KINDS[b["kind"]],
        topics=tuple(b["topics"]),
        items=tuple(b["items"]),
        policy_version=b["policy_version"],
        method=_METHODS[b["method"]] if b["method"] else None,
        evidence=b["evidence"],
        actor=b["actor"],
        at=datetime.fromisoformat(b["at"]),
        verification=RepresentativeVerification(b["verification"]) if b["verification"] else None,
        prev_hash=bytes(prev),
        hash=bytes(digest),
    )


def chain(events: Iterable[ConsentEvent], head: tuple[int, bytes] | None) -> list[ConsentEvent]:
    """Number and hash ``events`` after ``head`` (the last ``(seq, hash)`` of the ledger, None if empty)."""
    return chain_records(events, head)[0]


def chain_records(
    events: Iterable[ConsentEvent], head: tuple[int, bytes] | None
) -> tuple[list[ConsentEvent], list[LedgerRecord]]:
    """:func:`chain`, with each event's stored record (its body encoded once, for the hash and the store)."""
    seq, prev = head if head is not None else (0, GENESIS)
    out = []
    records = []
    times: dict[datetime, str] = {}  # the events of one call usually share one time
    sha256 = hashlib.sha256
    for e in events:
        seq += 1
        at = times.get(e.at)
        if at is None:
            at = times[e.at] = timestamp(e.at)
        body = _canonical(e, seq, at)
        digest = sha256(prev + body).digest()
        out.append(
            ConsentEvent(
                seq,
                e.subject,
                e.kind,
                e.topics,
                e.items,
                e.policy_version,
                e.method,
                e.evidence,
                e.actor,
                e.at,
                e.verification,
                prev,
                digest,
            )
        )
        records.append((seq, e.subject, body, prev, digest))
        prev = digest
    return out, records


def verify(pages: Iterable[Sequence[LedgerRecord]]) -> Verification:
    """Walk the chain (stored records in ``seq`` order, in pages) and report the first broken link.

    Each record's hash must cover its predecessor's hash and its body, and the body must name the record's own
    ``seq`` and subject (the columns a store queries by). A tombstone's hash is taken as stored (module doc).
    """
    # The loop runs once per event of the ledger and does nothing else (about a microsecond an event): the count is
    # ``expected``, the marker an f-string (cheaper than bytes %-formatting), hashlib called directly.
    expected, prev, tombstones = 1, GENESIS, 0
    sha256 = hashlib.sha256
    for page in pages:
        for seq, subject, body, prev_hash, digest in page:
            if seq != expected:
                return Verification(expected, Break(seq, f"expected event {expected}: events are missing"))
            if prev_hash != prev:
                return Verification(expected, Break(seq, "does not link to the event before it"))
            if sha256(prev + body).digest() != digest:
                # Only on a mismatch (off the hot path): a tombstone keeps the hash of the body it replaced.
                if body != tombstone(seq, subject):
                    return Verification(expected, Break(seq, "its content does not match its hash (altered)"))
                tombstones += 1
            if f'"seq":{seq},"subject":"{subject}"'.encode() not in body:
                return Verification(expected, Break(seq, "its stored seq or subject differs from its hashed content"))
            prev = digest
            expected += 1
    return Verification(expected - 1, None, tombstones)


def verify_events(events: Iterable[ConsentEvent]) -> Verification:
    """:func:`verify` of events in memory: each one's canonical encoding is recomputed from its fields."""
    return verify([[to_record(e) for e in events]])


def receipt(event: ConsentEvent, policy: Policy) -> dict[str, Any]:
    """A consent receipt as JSON-ready data: what was agreed to, when, how, and the hash that proves it."""
    return {
        "receipt": event.seq,
        "service": policy.service.name,
        "controller": policy.controller.name,
        "subject": event.subject,
        "kind": event.kind.value,
        "topics": [{"key": t, "label": _topic_label(policy, t)} for t in event.topics],
        "items": [{"key": i, "label": _item_label(policy, i)} for i in event.items],
        "policy_version": event.policy_version,
        "method": event.method.value if event.method else None,
        "actor": event.actor,
        "evidence": event.evidence,
        "at": timestamp(event.at),
        "hash": event.hash.hex(),
    }


_KIND_KO = {
    EventKind.GRANT: "에 동의하셨습니다",
    EventKind.WITHDRAW: "에 대한 동의를 철회하셨습니다",
    EventKind.END: "에 대한 동의가 종료되었습니다",
    EventKind.COLLECT: "을(를) 위해 개인정보를 수집하였습니다",
}
_METHOD_KO = {
    "web_click": "웹사이트 동의",
    "signed_form": "서면 동의",
    "phone": "전화",
    "in_person": "방문",
    "app_popup": "앱 팝업",
    "sms": "문자메시지",
    "mail": "우편",
    "email": "전자우편",
    "fax": "팩스",
}


def receipt_text(event: ConsentEvent, policy: Policy) -> str:
    """A short Korean receipt a service can show or mail (plain words, R-CON-2)."""
    at = event.at.astimezone(KST)
    when = f"{at.year}년 {at.month}월 {at.day}일 {at:%H:%M}"
    topics = ", ".join(f"‘{_topic_label(policy, t)}’" for t in event.topics)
    who = "법정대리인께서 " if event.actor == "representative" else ""
    lines = [f"[{policy.service.name}] {when}에 {who}{topics}{_KIND_KO[event.kind]}."]
    if event.items:
        lines.append("항목: " + ", ".join(_item_label(policy, i) for i in event.items))
    if event.method is not None:
        lines.append(f"방법: {_METHOD_KO.get(event.method.value, event.method.value)}")
    if event.kind is EventKind.GRANT:
        lines.append("동의는 언제든지 철회하실 수 있습니다.")
    lines.append(f"처리방침 {event.policy_version} · 기록 {event.seq} · {event.hash.hex()[:16]}")
    return "\n".join(lines)


def _topic_label(policy: Policy, topic: str) -> str:
    base, _, channel = topic.partition(":")
    if base == "provide" and channel:
        return f"제3자 제공 ({channel})"
    if base == "transfer" and channel:
        return f"국외 이전 ({channel})"
    purpose = policy.purposes.get(base)
    if purpose is None:
        return {"unique_identifiers": "고유식별정보 처리", "sensitive": "민감정보 처리"}.get(topic, topic)
    if channel == "night":
        return f"{purpose.label} (야간 21시~08시)"
    return f"{purpose.label} ({channel})" if channel else purpose.label


def _item_label(policy: Policy, item: str) -> str:
    declared = policy.items.get(item)
    return declared.label if declared is not None else item
