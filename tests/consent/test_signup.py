"""The sign-up's write path through the engine on a SQLite file: the state cached after a sign-up is the one its
ledger events derive, every state change is one transaction (SQLAlchemy statements included) and a failed one
leaves nothing behind and the connection usable, and a duplicate is refused only while the other subject's data key
exists."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jikimi.adapters.storage.consent_store import SqlConsentSession, SqlConsentStore, open_consent_store
from jikimi.adapters.storage.consent_tables import consent_events, consent_subjects
from jikimi.adapters.storage.tables import blind_index, data_keys, fields
from jikimi.clock import FixedClock
from jikimi.consent import Representative, SubjectStatus
from jikimi.consent.ledger import LedgerRecord
from jikimi.engine import Engine
from jikimi.errors import DuplicateSubjectError
from jikimi.policy import Policy, load_policy
from jikimi.policy.model import ConsentMethod, RepresentativeVerification
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing, init_key_file

from .conftest import EXAMPLES, NOW

WEB = ConsentMethod.WEB_CLICK
ADULT = {"mobile_phone": "010-0000-1001", "email": "hong@example.com", "login_id": "hong1001"}
CHILD = {
    "mobile_phone": "010-0000-1002",
    "email": "kid@example.com",
    "login_id": "kid1002",
    "birth_date": "2018-05-05",
    "guardian_name": "홍길동",
    "guardian_phone": "010-0000-1003",
}
PASS = Representative(RepresentativeVerification.REAL_NAME_AGENCY, "pass-tx-0001")
PARTNER = {
    "login_id": "partner1",
    "password": "correct horse battery staple",
    "manager_name": "홍길동",
    "manager_mobile": "010-0000-2001",
    "has_agency": "없음",
    "artist_name": "이영희",
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlConsentStore]:
    made = open_consent_store(f"sqlite:///{tmp_path / 'consent.db'}")
    yield made
    made.close()


def engine(policy: Policy, store: SqlConsentStore) -> Engine:
    passwords = PasswordHashing(Argon2Params.cheap())
    return Engine(policy, store, LocalKeyring.generate(), FixedClock(NOW), passwords=passwords)


def test_the_state_kept_after_a_sign_up_is_the_one_its_events_derive(
    examples: dict[str, Policy], store: SqlConsentStore
) -> None:
    mm = engine(examples["1mm"], store)
    adult = mm.collect("signup", "general", ADULT, {"service_improvement": True, "marketing": True}, WEB, "f-1")
    child = mm.collect("signup", "child", CHILD, {"service_improvement": True}, WEB, "f-2", representative=PASS)
    kept = {sid: mm.consents.book.state(sid) for sid in (adult.subject, child.subject)}
    mm.consents.book.forget()
    for sid, state in kept.items():
        assert state is not None
        assert mm.consents.book.state(sid) == state  # replayed from the ledger
        assert state.in_force  # not trivially equal


def test_a_failed_state_change_rolls_back_its_sqlalchemy_statements_too(
    examples: dict[str, Policy], store: SqlConsentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    pc = engine(examples["partnercenter"], store)
    sid = pc.collect("signup", "artist", PARTNER, {"service_development": True}, WEB, "pc-1").subject

    def crash(subject: str, bucket: str = "live") -> bool:
        raise RuntimeError("injected fault after the status was set")

    monkeypatch.setattr(pc.vault, "shred", crash)
    with pytest.raises(RuntimeError, match="injected"):
        pc.decide(sid, False, "op-1")  # the status update runs through SQLAlchemy, inside the driver's transaction
    monkeypatch.undo()
    pc.consents.book.forget()
    assert pc.consents.subject(sid).status is SubjectStatus.PENDING  # rolled back
    assert pc.vault.get(sid)["artist_name"] == "이영희"
    # The connection is usable again: the next changes commit.
    assert pc.decide(sid, True, "op-1") is SubjectStatus.ACTIVE
    pc.consents.book.forget()
    assert pc.consents.subject(sid).status is SubjectStatus.ACTIVE
    assert pc.verify_consents().ok


def test_a_duplicate_is_refused_only_while_the_others_data_key_exists(
    examples: dict[str, Policy], store: SqlConsentStore
) -> None:
    pc = engine(examples["partnercenter"], store)
    first = pc.collect("signup", "artist", PARTNER, {"service_development": True}, WEB, "pc-1").subject
    events = pc.verify_consents().events
    with pytest.raises(DuplicateSubjectError, match="'login_id'") as caught:
        pc.collect("signup", "artist", PARTNER, {"service_development": True}, WEB, "pc-2")
    assert "partner1" not in str(caught.value)
    assert pc.verify_consents().events == events  # nothing written
    with store.engine.connect() as conn:  # the refused sign-up's key, committed first (Vault.new_key), taken back
        assert conn.scalar(select(func.count()).select_from(data_keys)) == 1
    # Refused, the first application's data is destroyed: the same person may apply again.
    pc.decide(first, False, "op-1")
    again = pc.collect("signup", "artist", PARTNER, {"service_development": True}, WEB, "pc-3")
    assert again.status is SubjectStatus.PENDING
    # Keys shredded by a sweep before their rows are purged: the blind index no longer finds the subject.
    pc.vault.shred_keys([again.subject])
    assert pc.collect("signup", "artist", PARTNER, {"service_development": True}, WEB, "pc-4").subject


def test_a_crash_between_the_data_and_the_ledger_leaves_no_half_subject(
    examples: dict[str, Policy], store: SqlConsentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store's own transaction (begun and committed on the driver), not a test double's: its rollback must take
    # the vault rows, the key (in the key database on SQLite) and the subject record with it.
    mm = engine(examples["1mm"], store)

    def crash(self: SqlConsentSession, records: Sequence[LedgerRecord]) -> None:
        raise RuntimeError("injected fault between the data write and the ledger write")

    monkeypatch.setattr(SqlConsentSession, "append_records", crash)
    with pytest.raises(RuntimeError, match="injected"):
        mm.collect("signup", "general", ADULT, {"service_improvement": True}, WEB, "f-1")
    monkeypatch.undo()
    with store.engine.connect() as conn:
        for table in (fields, blind_index, data_keys, consent_subjects, consent_events):
            assert conn.scalar(select(func.count()).select_from(table)) == 0, table.name
    joined = mm.collect("signup", "general", ADULT, {"service_improvement": True}, WEB, "f-2")  # the same person
    assert mm.vault.get(joined.subject) == ADULT
    assert mm.verify_consents().ok


_KILLED = """
import os, sys
from datetime import UTC, datetime
from jikimi.adapters.storage.consent_store import SqlConsentSession, open_consent_store
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.policy import load_policy
from jikimi.policy.model import ConsentMethod
from jikimi.vault import LocalKeyring
url, policy, key = sys.argv[1:4]
when = FixedClock(datetime(2026, 3, 2, 3, tzinfo=UTC))
mm = Engine(load_policy(policy), open_consent_store(url), LocalKeyring.from_file(key), when)
commit = SqlConsentSession.driver_execute
commits = []

def die_at_the_data_commit(self, sql):
    if sql == "COMMIT":
        commits.append(sql)
        if len(commits) == 2:  # the key's own transaction committed; the data's is about to
            os._exit(9)
    return commit(self, sql)

SqlConsentSession.driver_execute = die_at_the_data_commit
person = {"mobile_phone": "010-0000-1001", "email": "hong@example.com", "login_id": "hong1001"}
mm.collect("signup", "general", person, {"service_improvement": True}, ConsentMethod.WEB_CLICK, "f-1")
"""


def test_a_kill_between_the_key_and_the_data_commits_leaves_no_half_subject(tmp_path: Path) -> None:
    """SQLite commits the key file apart from the data file: the key goes first, so a process killed between the
    two leaves a key that no data needs, never data (and consents) whose key is lost."""
    url = f"sqlite:///{tmp_path / 'consent.db'}"
    key = tmp_path / "kek.key"
    init_key_file(str(key))
    policy = EXAMPLES / "1mm.yaml"
    open_consent_store(url).close()  # the schema, made before the killed process starts
    killed = subprocess.run([sys.executable, "-c", _KILLED, url, str(policy), str(key)], capture_output=True)
    assert killed.returncode == 9, killed.stderr.decode()
    store = open_consent_store(url)
    try:
        with store.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(data_keys)) == 1  # committed first, unused
            for table in (fields, blind_index, consent_subjects, consent_events):
                assert conn.scalar(select(func.count()).select_from(table)) == 0, table.name
        mm = Engine(
            load_policy(policy),
            store,
            LocalKeyring.from_file(str(key)),
            FixedClock(NOW),
            passwords=PasswordHashing(Argon2Params.cheap()),
        )
        joined = mm.collect("signup", "general", ADULT, {"service_improvement": True}, WEB, "f-2")  # the same person
        assert mm.vault.get(joined.subject) == ADULT
        assert mm.verify_consents().ok
    finally:
        store.close()


def test_a_failing_take_back_of_the_key_does_not_hide_why_the_sign_up_failed(
    examples: dict[str, Policy],
    store: SqlConsentStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pc = engine(examples["partnercenter"], store)
    pc.collect("signup", "artist", PARTNER, {"service_development": True}, WEB, "pc-1")

    def locked(key: object) -> None:
        raise RuntimeError("the key file is locked")

    monkeypatch.setattr(pc.vault, "drop_new_key", locked)
    with pytest.raises(DuplicateSubjectError, match="'login_id'"):
        pc.collect("signup", "artist", PARTNER, {"service_development": True}, WEB, "pc-2")
    assert "could not take back the unused data key" in caplog.text
    assert "partner1" not in caplog.text  # the log names the internal id, never a value
