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
    "ChainRow",
    "Draft",
    "LedgerRecord",
    "Verification",
    "canonical",
    "canonical_dict",
    "chain",
    "chain_drafts",
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
    "verify_rows",
]

#: An event as stored: (seq, subject, canonical body, prev_hash, hash).
LedgerRecord = tuple[int, str, bytes, bytes, bytes]
#: What verification reads of a stored event: (seq, subject, canonical body, hash); see :func:`verify_rows`.
ChainRow = tuple[int, str, bytes, bytes]

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
    if at.tzinfo is UTC:  # the clocks' own zone: nothing to convert, only "+00:00" to write as "Z"
        return at.isoformat(timespec="microseconds")[:-6] + "Z"
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical(event: ConsentEvent) -> bytes:
    """The bytes an event's hash covers (see the module doc)."""
    return _canonical(event, event.seq, timestamp(event.at))


# The canonical form, written out: the same bytes as ``_encode`` of the dict of fields (sorted keys, compact,
# UTF-8), built by an f-string instead of walking a dict (a third of a sign-up's ledger cost went to the encoder).
# tests/consent/test_ledger.py checks the two agree, escapes included.
_string = json.encoder.encode_basestring  # what JSONEncoder(ensure_ascii=False) uses for every str
# The fields before ``"seq":`` take at least 120 bytes (actor, time, evidence, items, kind, method and version at
# their shortest): verification looks for the seq and subject from here on.
_SEQ_AT = 100
# Enum members as JSON text (``.value`` of an enum is a descriptor call: slower than the encoding itself).
_KIND_TEXT = {k: k.value for k in EventKind}
_METHOD_JSON: dict[ConsentMethod | None, str] = {None: "null", **{m: _string(m.value) for m in ConsentMethod}}
_VERIFICATION_JSON: dict[RepresentativeVerification | None, str] = {
    None: "null",
    **{v: _string(v.value) for v in RepresentativeVerification},
}
# The JSON text of topic and item lists: the same few recur in every sign-up. Bounded; a race only recomputes.
_LISTS: dict[tuple[str, ...], str] = {}
_LISTS_MAX = 4096

#: An event before it is chained: the fields of :class:`ConsentEvent` from ``subject`` to ``verification``.
Draft = tuple[
    str,
    EventKind,
    tuple[str, ...],
    tuple[str, ...],
    str,
    ConsentMethod | None,
    str | None,
    str,
    datetime,
    RepresentativeVerification | None,
]


def _list(keys: tuple[str, ...]) -> str:
    text = _LISTS.get(keys)
    if text is None:
        if len(_LISTS) >= _LISTS_MAX:
            _LISTS.clear()
        text = _LISTS[keys] = ",".join(map(_string, keys))
    return text


def _body(draft: Draft, seq: int, at: str) -> bytes:
    subject, kind, topics, items, version, method, evidence, actor, _at, verification = draft
    s = _string
    return (
        f'{{"actor":{s(actor)},"at":"{at}","evidence":{"null" if evidence is None else s(evidence)},'
        f'"items":[{_list(items)}],"kind":"{_KIND_TEXT[kind]}","method":{_METHOD_JSON[method]},'
        f'"policy_version":{s(version)},"seq":{seq},"subject":{s(subject)},"topics":[{_list(topics)}],'
        f'"verification":{_VERIFICATION_JSON[verification]}}}'
    ).encode()


def _draft(event: ConsentEvent) -> Draft:
    e = event
    return (e.subject, e.kind, e.topics, e.items, e.policy_version, e.method, e.evidence, e.actor, e.at, e.verification)


def _canonical(event: ConsentEvent, seq: int, at: str) -> bytes:
    return _body(_draft(event), seq, at)


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
    return chain_drafts(map(_draft, events), head)


def chain_drafts(
    drafts: Iterable[Draft], head: tuple[int, bytes] | None
) -> tuple[list[ConsentEvent], list[LedgerRecord]]:
    """:func:`chain_records` of events given as :data:`Draft` tuples: the write path builds each event once."""
    seq, prev = head if head is not None else (0, GENESIS)
    out = []
    records = []
    times: dict[datetime, str] = {}  # the events of one call usually share one time
    sha256 = hashlib.sha256
    for d in drafts:
        seq += 1
        at = times.get(d[8])
        if at is None:
            at = times[d[8]] = timestamp(d[8])
        body = _body(d, seq, at)
        digest = sha256(prev + body).digest()
        out.append(ConsentEvent(seq, *d, prev, digest))
        records.append((seq, d[0], body, prev, digest))
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


def verify_rows(pages: Iterable[Sequence[ChainRow]]) -> Verification:
    """:func:`verify` of stored ``(seq, subject, body, hash)`` rows: the read of verification from a database.

    Each hash is recomputed from the previous row's *stored* hash and the row's body, so an edited body or hash, a
    gap or a reordering still breaks the chain; the stored ``prev_hash`` (a copy of that previous hash) is not read,
    which saves a tenth of the time. An edited event whose hash was recomputed is found at the event after it. A
    tombstone is taken as stored (its hash covers the body it replaced), and the hash of the row after it covers
    the tombstone's stored hash.
    """
    # The loop runs once per event of the ledger (about a microsecond an event): the count is ``expected``, the
    # marker an f-string (cheaper than bytes %-formatting), hashlib called directly. Checking a page at a time by
    # C-level map over its columns (as the access record does) was measured no faster here: the marker holds the
    # subject too, and building it dominates either way.
    expected, prev, tombstones = 1, GENESIS, 0
    sha256 = hashlib.sha256
    for page in pages:
        for seq, subject, body, digest in page:
            if seq != expected:
                reason = f"expected event {expected}: events are missing"
                return Verification(expected, Break(seq, reason), tombstones)
            if sha256(prev + body).digest() != digest:
                if body != tombstone(seq, subject):
                    reason = "its content does not match its hash (it, or the event before it, was altered)"
                    return Verification(expected, Break(seq, reason), tombstones)
                tombstones += 1  # names its own seq and subject: nothing more to check
            # ``find`` from _SEQ_AT: a canonical body cannot hold the marker earlier (a tombstone holds it at 1).
            elif body.find(f'"seq":{seq},"subject":"{subject}"'.encode(), _SEQ_AT) < 0:
                reason = "its stored seq or subject differs from its hashed content"
                return Verification(expected, Break(seq, reason), tombstones)
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
