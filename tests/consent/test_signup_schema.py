"""Migration 0008 (SQLite): the tables a sign-up writes are one B-tree each where that is safe, and the migration
keeps every subject, field and ledger event both ways."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection

from jikimi.adapters.storage.consent_store import open_consent_store
from jikimi.adapters.storage.schema import downgrade, head_revision, upgrade
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.policy import Policy
from jikimi.policy.model import ConsentMethod
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing

from .conftest import NOW

TOUCHED = ("subjects", "fields", "blind_index", "consent_subjects", "consent_events")


def _sql(conn: Connection, table: str) -> str:
    return str(conn.exec_driver_sql("SELECT sql FROM sqlite_schema WHERE name = ?", (table,)).scalar_one())


def _indexes(conn: Connection, table: str) -> list[str]:
    return sorted(str(row[1]) for row in conn.exec_driver_sql(f"PRAGMA index_list({table})"))


def _layout(conn: Connection) -> dict[str, tuple[bool, list[str]]]:
    """Per table: (WITHOUT ROWID, its indexes)."""
    return {t: ("WITHOUT ROWID" in _sql(conn, t), _indexes(conn, t)) for t in TOUCHED}


def _people(n: int) -> list[dict[str, str]]:
    return [
        {"mobile_phone": f"010-0000-{i:04d}", "email": f"u{i}@example.com", "login_id": f"user{i:04d}"}
        for i in range(n)
    ]


def test_migration_0008_keeps_subjects_fields_and_the_ledger_both_ways(
    examples: dict[str, Policy], tmp_path: Path, schema_differences: Callable[..., list[object]]
) -> None:
    url = f"sqlite:///{tmp_path / 'signup.db'}"
    keyring, passwords = LocalKeyring.generate(), PasswordHashing(Argon2Params.cheap())
    policy = examples["1mm"]

    def engine() -> Engine:
        return Engine(policy, open_consent_store(url), keyring, FixedClock(NOW), passwords=passwords)

    first = engine()
    people = _people(30)
    ids = [
        first.collect(
            "signup",
            "general",
            p,
            {"service_improvement": True, "marketing": i % 2 == 0},
            ConsentMethod.WEB_CLICK,
            f"f-{i}",
        ).subject
        for i, p in enumerate(people)
    ]
    store = first.store
    with store.engine.connect() as conn:
        # The migrated head: each table a sign-up writes is stored in its key's B-tree (WITHOUT ROWID; its primary key
        # is then listed as an index: it is the table itself), and the ledger's key is its rowid. Not the key file's
        # data_keys (tests/vault: deleted wrapped keys must not stay in interior pages).
        assert _layout(conn) == {
            "subjects": (True, ["sqlite_autoindex_subjects_1"]),
            "fields": (True, ["sqlite_autoindex_fields_1"]),
            "consent_subjects": (
                True,
                ["ix_consent_subjects_status_updated_at", "sqlite_autoindex_consent_subjects_1"],
            ),
            "consent_events": (False, ["ix_consent_events_subject_seq"]),
            "blind_index": (True, ["ix_blind_index_item_digest", "sqlite_autoindex_blind_index_1"]),
        }
        assert schema_differences(conn, TOUCHED) == []
    downgrade(store.engine, "0007")
    with store.engine.connect() as conn:
        before = _layout(conn)
        assert not any(without_rowid for without_rowid, _ in before.values())
        assert "sqlite_autoindex_consent_events_1" in before["consent_events"][1]
        counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one() for t in TOUCHED}
    assert counts == {
        "subjects": 30,
        "fields": 90,
        "blind_index": counts["blind_index"],
        "consent_subjects": 30,
        "consent_events": counts["consent_events"],
    }
    assert counts["blind_index"] >= 30  # the searchable items
    assert counts["consent_events"] >= 30 + 15  # a collection event each, and the marketing grants
    assert upgrade(store.engine) == head_revision()
    store.close()

    again = engine()
    assert again.verify_consents().ok
    assert again.verify_consents().events == counts["consent_events"]
    assert [again.vault.get(sid, ["email"])["email"] for sid in ids] == [p["email"] for p in people]
    assert again.may_use(ids[0], "mobile_phone", "marketing", NOW)
    assert not again.may_use(ids[1], "mobile_phone", "marketing", NOW)
    more = again.collect(
        "signup", "general", _people(31)[30], {"service_improvement": True}, ConsentMethod.WEB_CLICK, "f-30"
    )
    assert again.verify_consents().events == counts["consent_events"] + 2  # collection and the required grant
    assert again.vault.get(more.subject, ["login_id"]) == {"login_id": "user0030"}
    again.store.close()
