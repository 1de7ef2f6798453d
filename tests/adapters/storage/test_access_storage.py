"""Reads through the gate on a real database: data only with a stored record, refusals recorded, chain verified,
operator rights logged (R-SEC-3/4, R-SEC-21/24), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from jikimi.access import AccessRequest, Decision, SubjectFacts, review
from jikimi.access.service import AccessService, Operators
from jikimi.adapters.storage.access_store import SqlAccessStore
from jikimi.clock import FixedClock
from jikimi.errors import AccessDeniedError, UnknownOperatorError
from jikimi.policy import load_policy
from jikimi.vault import LocalKeyring, PasswordHashing, Vault

from .conftest import Database

POLICY = load_policy(Path(__file__).resolve().parents[2].parent / "examples" / "policies" / "1mm.yaml")
NOW = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)


class Facts:
    def __init__(self) -> None:
        self.by_subject: dict[str, SubjectFacts] = {}

    def facts(self, subjects: Iterable[str]) -> Mapping[str, SubjectFacts]:
        return {s: self.by_subject[s] for s in subjects if s in self.by_subject}


def setup(
    database: Database, passwords: PasswordHashing
) -> tuple[AccessService, Operators, SqlAccessStore, FixedClock]:
    store = database.open()
    vault = Vault(POLICY, store, LocalKeyring.generate(), passwords=passwords)
    vault.put("s1", {"login_id": "hong1", "mobile_phone": "010-1234-5678", "email": "hong@example.com"})
    facts = Facts()
    facts.by_subject["s1"] = SubjectFacts(consented=frozenset())
    access_store = SqlAccessStore(store.engine)
    clock = FixedClock(NOW)
    service = AccessService(POLICY, access_store, facts, lambda subs, items, _purpose: vault.get_many(subs, items))
    return service, Operators(POLICY, access_store, clock), access_store, clock


def ask(**kw: object) -> AccessRequest:
    base: dict[str, object] = {
        "operator": "op-kim",
        "subjects": ("s1",),
        "items": ("login_id", "mobile_phone"),
        "purpose": "member_management",
        "task": "회원 문의 응대",
        "source": "10.0.0.7",
        "at": NOW,
    }
    base.update(kw)
    return AccessRequest(**base)  # type: ignore[arg-type]


def test_allowed_read_returns_data_after_its_record(database: Database, passwords: PasswordHashing) -> None:
    service, ops, store, _ = setup(database, passwords)
    ops.grant("op-kim", "other_staff", actor="privacy-officer")
    data = service.read(ask())
    assert data == {"s1": {"login_id": "hong1", "mobile_phone": "010-1234-5678"}}
    (page,) = list(store.records())
    (record,) = page
    assert record.fields["outcome"] == "allowed"
    assert record.fields["items"] == ["login_id", "mobile_phone"]
    assert b"010-1234-5678" not in record.body
    assert b"hong1" not in record.body
    assert service.verify() == (1, None)


def test_refusals_are_recorded_and_name_the_rule(database: Database, passwords: PasswordHashing) -> None:
    service, ops, store, _ = setup(database, passwords)
    with pytest.raises(AccessDeniedError) as unknown:
        service.read(ask())
    assert unknown.value.rule == "R-SEC-5"
    ops.grant("op-lee", "marketing_staff", actor="privacy-officer")
    with pytest.raises(AccessDeniedError) as role:
        service.read(ask(operator="op-lee"))
    assert role.value.rule == "R-SEC-2"
    outcomes = [(r.fields["outcome"], r.fields["rule"]) for page in store.records() for r in page]
    assert outcomes == [("refused", "R-SEC-5"), ("refused", "R-SEC-2")]


def test_disabled_operator_and_the_rights_log(database: Database, passwords: PasswordHashing) -> None:
    service, ops, store, clock = setup(database, passwords)
    ops.grant("op-kim", "other_staff", actor="cpo")
    clock.advance(timedelta(days=30))
    ops.grant("op-kim", "privacy_staff", actor="cpo")
    ops.disable("op-kim", actor="cpo")
    with pytest.raises(AccessDeniedError) as info:
        service.read(ask())
    assert info.value.rule == "R-SEC-3"
    log = store.rights_changes("op-kim")
    assert [(c.change, c.role_before, c.role_after) for c in log] == [
        ("granted", None, "other_staff"),
        ("changed", "other_staff", "privacy_staff"),
        ("disabled", "privacy_staff", None),
    ]
    assert log[1].at == NOW + timedelta(days=30)
    with pytest.raises(UnknownOperatorError):
        ops.grant("op-x", "no_such_role", actor="cpo")
    with pytest.raises(UnknownOperatorError):
        ops.disable("op-nobody", actor="cpo")


def test_group_commit_and_tamper_detection(database: Database, passwords: PasswordHashing) -> None:
    service, ops, store, _ = setup(database, passwords)
    ops.grant("op-kim", "other_staff", actor="cpo")
    results = service.read_many([ask(), ask(purpose="marketing", items=("email",)), ask()])
    assert isinstance(results[1], Decision)
    assert results[1].rule == "R-SEC-2"
    assert results[0] == results[2]
    assert service.verify() == (3, None)
    with store.engine.begin() as conn:
        body = conn.execute(text("SELECT body FROM access_records WHERE seq = 2")).scalar_one()
        altered = bytes(body).replace(b"op-kim", b"op-xx")
        conn.execute(text("UPDATE access_records SET body = :b WHERE seq = 2"), {"b": altered})
    _, broken = service.verify()
    assert broken is not None
    assert broken.seq == 2
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM access_records WHERE seq = 2"))
    _, gap = service.verify()
    assert gap is not None
    assert "missing" in gap.reason


def test_review_reads_a_month_from_the_store(database: Database, passwords: PasswordHashing) -> None:
    service, ops, store, _ = setup(database, passwords)
    ops.grant("op-kim", "other_staff", actor="cpo")
    for day in range(3):
        service.read(ask(at=NOW + timedelta(days=day)))
    service.read(ask(at=datetime(2026, 11, 1, 3, tzinfo=UTC)))
    october = review(
        store.records_between(datetime(2026, 9, 30, 15, tzinfo=UTC), datetime(2026, 10, 31, 15, tzinfo=UTC)),
        POLICY,
        "2026-10",
    )
    assert october.total == 3
    assert october.by_operator["op-kim"] == 3


def test_sqlite_time_text_is_sqlalchemys() -> None:
    from datetime import timezone

    from sqlalchemy.dialects import sqlite

    from jikimi.adapters.storage.access_tables import access_records
    from jikimi.adapters.storage.store import _sqlite_time

    dialect = sqlite.dialect()
    process = access_records.c.at.type.dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    kst = timezone(timedelta(hours=9))
    for at in (NOW, NOW.replace(microsecond=5), datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=kst), datetime(999, 1, 1)):
        assert _sqlite_time(at) == process(at)


def test_sqlite_time_reader_reads_what_sqlalchemy_reads() -> None:
    from sqlalchemy.dialects import sqlite

    from jikimi.adapters.storage.access_store import _time_reader
    from jikimi.adapters.storage.access_tables import access_records
    from jikimi.adapters.storage.store import _sqlite_time

    dialect = sqlite.dialect()
    process = access_records.c.at.type.dialect_impl(dialect).result_processor(dialect, None)
    assert process is not None
    read = _time_reader(dialect)
    for at in (NOW, NOW.replace(microsecond=5), datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)):
        text_ = _sqlite_time(at)
        assert read(text_) == process(text_).replace(tzinfo=UTC) == at
        assert read(text_).tzinfo is UTC
    assert read("2026-10-05 03:00:00") == NOW  # any other text goes through SQLAlchemy's reader
