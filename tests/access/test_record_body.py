"""The access record's body, written out by formatting, equals the JSON encoder's canonical output byte for byte."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from jikimi.access import AccessRequest, Decision, chain_records
from jikimi.access.record import body_dict, body_of

KST = timezone(timedelta(hours=9))
ODD = 'q"uo\\te \n\t\x00\x1f \u2028 한글 % %d {} 😀'


def test_formatted_body_equals_the_encoders_output_escapes_included() -> None:
    plain = AccessRequest(
        "op-1", ("s1",), ("name", "phone"), "membership", "문의", "10.0.0.1", datetime(2026, 10, 1, 1, tzinfo=UTC)
    )
    odd = AccessRequest(
        "op" + ODD,
        ("s" + ODD, "s2", "s3"),
        (ODD, "email", ""),
        "p" + ODD,
        ODD,
        "::1" + ODD,
        datetime(2026, 10, 1, 9, 0, 0, 5, tzinfo=KST),
        reason=ODD,
        download=True,
    )
    empty = AccessRequest("op", (), (), "p", "", "", datetime(999, 1, 1, tzinfo=UTC) + timedelta(days=400))
    decisions = (Decision(True), Decision(False, "R-SEC-2" + ODD, "m"), Decision(False))
    for request in (plain, odd, empty):
        for decision in decisions:
            for seq, subject in ((1, "s1"), (12345678901, ODD), (0, "")):
                assert body_of(seq, request, subject, decision) == body_dict(seq, request, subject, decision)
    records = chain_records([(odd, decisions[1]), (plain, decisions[0])], None)
    for record in records:
        assert json.loads(record.body)["subject"] == record.subject
    assert [r.body for r in records[:3]] == [body_dict(i + 1, odd, s, decisions[1]) for i, s in enumerate(odd.subjects)]
