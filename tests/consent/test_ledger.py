"""The hash chain: intact chains verify; any edit, gap or relink is found at the first broken event."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import replace
from datetime import timedelta

from jikimi.consent import ConsentEvent, EventKind, receipt, receipt_text
from jikimi.consent.ledger import (
    GENESIS,
    Break,
    Verification,
    canonical,
    canonical_dict,
    chain,
    chain_records,
    from_record,
    to_record,
    tombstone,
    verify,
    verify_events,
    verify_rows,
)
from jikimi.policy import Policy
from jikimi.policy.model import ConsentMethod, RepresentativeVerification

from .conftest import NOW


def events(n: int) -> list[ConsentEvent]:
    raw = [
        ConsentEvent(
            0,
            f"s_{i % 3}",
            EventKind.GRANT,
            ("marketing",),
            ("email",),
            "v1",
            ConsentMethod.WEB_CLICK,
            f"form-{i}",
            "self",
            NOW + timedelta(seconds=i),
        )
        for i in range(n)
    ]
    return chain(raw, None)


def test_chain_numbers_and_links_events() -> None:
    chained = events(5)
    assert [e.seq for e in chained] == [1, 2, 3, 4, 5]
    assert chained[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chained))
    assert chained[0].hash == hashlib.sha256(GENESIS + canonical(chained[0])).digest()
    more = chain([replace(chained[0], seq=0)], (chained[-1].seq, chained[-1].hash))
    assert more[0].seq == 6
    assert verify_events([*chained, *more]).ok


def test_canonical_encoding_is_sorted_compact_json() -> None:
    body = json.loads(canonical(events(1)[0]))
    assert list(body) == sorted(body)
    assert body["at"] == "2026-03-02T03:00:00.000000Z"
    assert b" " not in canonical(events(1)[0])


def test_an_altered_event_is_the_first_broken_link() -> None:
    chained = events(6)
    chained[3] = replace(chained[3], items=("email", "mobile_phone"))
    result = verify_events(chained)
    assert result.broken is not None
    assert (result.broken.seq, result.events) == (4, 4)
    assert "altered" in str(result.broken)


def test_a_deleted_event_is_found() -> None:
    chained = events(6)
    del chained[2]
    result = verify([[to_record(e) for e in chained[:2]], [to_record(e) for e in chained[2:]]])
    assert result.broken is not None
    assert result.broken.seq == 4
    assert "missing" in result.broken.reason


def test_a_recomputed_hash_still_breaks_the_next_link() -> None:
    chained = events(4)
    forged = replace(chained[1], actor="operator-9")
    chained[1] = replace(forged, hash=hashlib.sha256(forged.prev_hash + canonical(forged)).digest())
    result = verify_events(chained)
    assert result.broken is not None
    assert result.broken.seq == 3
    assert "does not link" in result.broken.reason


def test_receipts(examples: dict[str, Policy]) -> None:
    policy = examples["1mm"]
    event = events(1)[0]
    data = receipt(event, policy)
    assert data["topics"] == [{"key": "marketing", "label": policy.purposes["marketing"].label}]
    assert data["hash"] == event.hash.hex()
    json.dumps(data, ensure_ascii=False)
    text = receipt_text(event, policy)
    assert text.startswith("[1mm] 2026년 3월 2일 12:00에 ‘")
    assert "동의하셨습니다" in text
    assert "방법: 웹사이트 동의" in text
    assert "철회" in text
    withdrawn = receipt_text(replace(event, kind=EventKind.WITHDRAW, actor="representative"), policy)
    assert "법정대리인께서" in withdrawn
    assert "철회하셨습니다" in withdrawn


def test_records_round_trip_and_columns_are_checked_against_the_body() -> None:
    chained = events(3)
    records = [to_record(e) for e in chained]
    assert [from_record(r) for r in records] == chained
    seq, _subject, body, prev, digest = records[1]
    records[1] = (seq, "s_other", body, prev, digest)
    result = verify([records])
    assert result.broken is not None
    assert (result.broken.seq, "seq or subject" in result.broken.reason) == (2, True)


def test_the_written_out_encoding_is_the_json_encoders() -> None:
    odd = ConsentEvent(
        7,
        's_"\\\n\t\x01',
        EventKind.WITHDRAW,
        ('provide:제휴사 "A"', "transfer:X Inc. (US)"),
        (),
        "2026-\u2028",
        None,
        None,
        "operator/홍길동",
        NOW,
        RepresentativeVerification.PHONE,
    )
    plain = events(3)[1]
    for event in (odd, plain):
        assert canonical(event) == canonical_dict(event)
        assert json.loads(canonical(event))["subject"] == event.subject
    chained, records = chain_records([odd, plain], None)
    assert records == [to_record(e) for e in chained]


def test_timestamps_are_utc_to_the_microsecond() -> None:
    from datetime import UTC, datetime, timezone

    from jikimi.consent.children import KST
    from jikimi.consent.ledger import timestamp

    assert timestamp(datetime(2026, 3, 2, 12, 0, tzinfo=KST)) == "2026-03-02T03:00:00.000000Z"
    assert timestamp(datetime(2026, 3, 2, 12, 0, 0, 5, tzinfo=KST)) == "2026-03-02T03:00:00.000005Z"
    assert timestamp(datetime(2026, 3, 2, 3, 0, 0, 5, tzinfo=UTC)) == "2026-03-02T03:00:00.000005Z"
    assert timestamp(datetime(2026, 3, 2, 3, 0, tzinfo=timezone(timedelta(0)))) == "2026-03-02T03:00:00.000000Z"


def rows(chained: list[ConsentEvent]) -> list[tuple[int, str, bytes, bytes]]:
    """What verification reads from a database: (seq, subject, body, hash), no prev_hash."""
    return [(e.seq, e.subject, canonical(e), e.hash) for e in chained]


def test_verification_from_stored_rows_finds_what_the_full_walk_finds() -> None:
    chained = events(6)
    assert verify_rows([rows(chained[:4]), rows(chained[4:])]) == verify_events(chained)
    assert verify_rows([rows(chained)]).events == 6

    edited = rows(chained)
    seq, subject, body, digest = edited[2]
    edited[2] = (seq, subject, body.replace(b'"actor":"self"', b'"actor":"op-9"'), digest)
    assert verify_rows([edited]).broken == Break(
        3, "its content does not match its hash (it, or the event before it, was altered)"
    )

    # An edit whose hash was recomputed is caught at the next event: its hash covers the stored hash before it.
    forged = rows(chained)
    seq, subject, body, _digest = forged[1]
    body = body.replace(b'"actor":"self"', b'"actor":"op-9"')
    forged[1] = (seq, subject, body, hashlib.sha256(chained[0].hash + body).digest())
    broken = verify_rows([forged]).broken
    assert broken is not None
    assert broken.seq == 3

    gap = rows(chained)
    del gap[3]
    assert verify_rows([gap]).broken == Break(5, "expected event 4: events are missing")

    moved = rows(chained)
    seq, _subject, body, digest = moved[4]
    moved[4] = (seq, "s_other", body, digest)  # the subject column no longer matches the hashed body
    assert verify_rows([moved]).broken == Break(5, "its stored seq or subject differs from its hashed content")


def test_a_tombstone_keeps_its_place_in_the_chain_read_from_rows() -> None:
    chained = events(4)
    stored = rows(chained)
    seq, subject, _body, digest = stored[1]
    stored[1] = (seq, subject, tombstone(seq, subject), digest)
    assert verify_rows([stored]) == Verification(4, None, 1)
    stored[1] = (seq, subject, tombstone(seq, "s_other"), digest)  # not this event's tombstone: an edit
    assert verify_rows([stored]).broken == Break(
        2, "its content does not match its hash (it, or the event before it, was altered)"
    )
