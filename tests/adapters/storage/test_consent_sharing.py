"""Separate consents per recipient and overseas transfer, re-consent after a policy change, and children's waits.

On SQLite and PostgreSQL. One small policy (``SHARING``) has a consent-based recipient, a statute-based one and a
consent-based overseas transfer; it admits children with a representative verified by phone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jikimi.adapters.storage.consent_store import SqlConsentStore
from jikimi.clock import FixedClock
from jikimi.consent import Representative, SubjectStatus
from jikimi.consent.reconsent import widened_topics
from jikimi.engine import Engine
from jikimi.errors import ChildrenError, CollectionError, ConsentError
from jikimi.policy import Policy, load_policy_text
from jikimi.policy.model import ConsentMethod, RepresentativeVerification
from jikimi.vault import LocalKeyring, PasswordHashing

from .conftest import Database
from .test_consent_storage import counts

WEB = ConsentMethod.WEB_CLICK
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
PHONE = Representative(RepresentativeVerification.PHONE, "call-0001")

SHARING = """
format: 1
controller: {name: 주식회사 예시}
service: {key: sharing, name: 공유 예시}
version: "1"
effective_date: 2026-01-01
officers: {privacy_officer: {name: 홍길동}}
items:
  email: {label: 이메일, format: email, searchable: true}
  phone: {label: 휴대전화번호, format: phone}
  birth_date: {label: 생년월일, format: date}
  address: {label: 주소, format: address}
  guardian_name: {label: 법정대리인 이름, format: name}
  guardian_phone: {label: 법정대리인 휴대전화번호, format: phone}
channels:
  signup:
    label: 가입
    kind: signup
    required: [email]
    optional: [phone, birth_date, guardian_name, guardian_phone]
    purposes: [membership, events, guardian_check]
  profile:
    label: 회원 정보 입력
    kind: other
    optional: [phone, birth_date, address, guardian_name, guardian_phone]
    purposes: [membership, events, guardian_check]
purposes:
  membership: {label: 회원 관리, basis: {kind: contract}, items: [email, birth_date, address]}
  events: {label: 이벤트 안내, basis: {kind: consent}, consent: optional, items: [phone]}
  guardian_check: {label: 법정대리인 동의 확인, basis: {kind: statute, law: 개인정보 보호법, article: 제22조의2},
                   items: [guardian_name, guardian_phone]}
recipients:
  - {name: 제휴사 A, purposes: [경품 배송], items: [email, phone], retention: 배송 완료 시까지,
     basis: {kind: consent}}
  - {name: 수사기관, purposes: [수사], items: [email], retention: 법령에 따름, basis: {kind: statute, law: 형사소송법}}
overseas_transfers:
  - {recipient: Example Cloud Inc., country: US, items: [email], purposes: [메일 발송],
     when_and_how: 가입 시 네트워크 전송, retention: 탈퇴 시까지, basis: {kind: consent}}
retention:
  - {key: membership, label: 회원, items: [email], period: 0d, starts: withdrawal, basis: {purpose: membership}}
children:
  admitted: true
  verification_methods: [phone]
  representative_items: [guardian_name, guardian_phone]
  purpose: guardian_check
destruction: {procedure: 파기, electronic: 영구 삭제}
rights: {channels: [웹]}
"""
PROVIDE_A = "provide:제휴사 A"
TRANSFER_US = "transfer:Example Cloud Inc. (US)"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy_text(SHARING)


def widened(policy: Policy) -> Policy:
    """Version 2: the events purpose uses the address too, and 제휴사 A receives the address."""
    events = policy.purposes["events"]
    recipients = (
        policy.recipients[0].model_copy(update={"items": ("email", "phone", "address")}),
        policy.recipients[1],
    )
    return policy.model_copy(
        update={
            "version": "2",
            "effective_date": policy.effective_date + timedelta(days=60),
            "purposes": {**policy.purposes, "events": events.model_copy(update={"items": ("phone", "address")})},
            "recipients": recipients,
        }
    )


def engine_on(database: Database, policy: Policy, passwords: PasswordHashing, clock: FixedClock) -> Engine:
    store = SqlConsentStore.over(database.open())
    database.stores.insert(0, store)
    return Engine(policy, store, LocalKeyring.generate(), clock, passwords=passwords)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def test_each_recipient_and_transfer_has_its_own_consent(
    database: Database, policy: Policy, passwords: PasswordHashing, clock: FixedClock
) -> None:
    e = engine_on(database, policy, passwords, clock)
    data = {"email": "hong@example.com", "phone": "010-0000-6001"}
    both = e.collect("signup", None, data, {"events": True, PROVIDE_A: True, TRANSFER_US: True}, WEB, "f").subject
    neither = e.collect("signup", None, {"email": "kim@example.com"}, {PROVIDE_A: False}, WEB, "f-2").subject
    assert e.may_provide(both, "제휴사 A")
    assert e.may_provide(both, "제휴사 A", item="phone")
    assert not e.may_provide(both, "제휴사 A", item="address")  # not among the recipient's items
    assert e.may_transfer(both, "Example Cloud Inc.", "US")
    assert not e.may_transfer(both, "Example Cloud Inc.", "JP")
    assert not e.may_provide(neither, "제휴사 A")  # refusing it never blocked the sign-up (R-CON-4)
    assert not e.may_transfer(neither, "Example Cloud Inc.", "US")
    with pytest.raises(CollectionError, match="R-XFER-1"):  # a statute recipient takes no consent
        e.collect("signup", None, {"email": "lee@example.com"}, {"provide:수사기관": True}, WEB, "f-3")
    # A later consent, and a withdrawal through the same ledger: provision ends at once, nothing is destroyed.
    e.collect("profile", None, {}, {PROVIDE_A: True}, WEB, "f-4", subject=neither)
    assert e.may_provide(neither, "제휴사 A")
    gone = e.withdraw_consent(both, [PROVIDE_A], WEB, "f-5")
    assert gone.destroyed == ()
    assert not e.may_provide(both, "제휴사 A")
    assert e.may_transfer(both, "Example Cloud Inc.", "US")
    assert e.vault.get(both) == data
    assert not e.may_provide(both, "제휴사 A", NOW - timedelta(days=1))  # before the sign-up
    assert e.verify_consents().ok


def test_widened_topics_come_from_the_version_diff(policy: Policy) -> None:
    v2 = widened(policy)
    change = widened_topics(policy, v2)
    assert change.diff.material
    assert change.topics == {"events", PROVIDE_A}
    minor = v2.model_copy(update={"version": "3", "effective_date": v2.effective_date + timedelta(days=30)})
    assert widened_topics(v2, minor).topics == frozenset()


def test_consents_older_than_a_widening_change_need_reconsent(
    database: Database, policy: Policy, passwords: PasswordHashing, clock: FixedClock
) -> None:
    keyring = LocalKeyring.generate()
    store = SqlConsentStore.over(database.open())
    database.stores.insert(0, store)
    v1 = Engine(policy, store, keyring, clock, passwords=passwords)
    data = {"email": "hong@example.com", "phone": "010-0000-6001"}
    sid = v1.collect("signup", None, data, {"events": True, PROVIDE_A: True, TRANSFER_US: True}, WEB, "f-1").subject
    v2 = Engine(widened(policy), store, keyring, clock, passwords=passwords)
    assert v2.may_use(sid, "phone", "events")  # until the service is told the version history
    v2.consents.adopt(policy)
    assert v2.consents.needing_reconsent() == {sid: ("events", PROVIDE_A)}
    assert not v2.may_use(sid, "phone", "events")
    assert not v2.may_provide(sid, "제휴사 A")
    assert v2.may_transfer(sid, "Example Cloud Inc.", "US")  # not widened
    assert v2.may_use(sid, "email", "membership")  # not consent-based
    with pytest.raises(ConsentError, match="waiting to be given again"):
        v2.reconsent(sid, [TRANSFER_US], WEB, "f-2")
    again = v2.reconsent(sid, ["events", PROVIDE_A], WEB, "f-2")
    assert {e.policy_version for e in again.events} == {"2"}
    assert v2.may_use(sid, "phone", "events")
    assert v2.may_provide(sid, "제휴사 A")
    assert v2.consents.needing_reconsent() == {}
    assert v2.verify_consents().ok


def test_a_child_waits_for_the_representative_until_it_expires(
    database: Database, policy: Policy, passwords: PasswordHashing, clock: FixedClock
) -> None:
    e = engine_on(database, policy, passwords, clock)
    kid = {"birth_date": "2018-05-05", "guardian_name": "홍길동", "guardian_phone": "010-0000-7001"}
    with pytest.raises(ChildrenError, match="R-CHILD-3"):  # nothing else from the child before consent
        e.await_representative("signup", None, {**kid, "email": "kid@example.com"})
    with pytest.raises(ChildrenError, match="not a child"):
        e.await_representative("signup", None, {**kid, "birth_date": "1990-01-01"})
    assert counts(e) == (0, 0, 0, 0)
    waiting = e.await_representative("signup", None, kid, "req-1")
    sid = waiting.subject
    assert waiting.status is SubjectStatus.AWAITING
    assert e.may_use(sid, "guardian_phone", "guardian_check")
    assert not e.may_use(sid, "email", "membership")
    assert not e.may_use(sid, "guardian_phone", "guardian_check", NOW + timedelta(days=8))
    # Completed in time with the representative's verified consent: the kept items join the sign-up.
    done = e.collect("signup", None, {"email": "kid@example.com"}, {}, WEB, "f-1", representative=PHONE, subject=sid)
    assert done.status is SubjectStatus.ACTIVE
    assert e.vault.get(sid)["guardian_phone"] == "010-0000-7001"
    assert e.may_use(sid, "email", "membership")
    # A second child whose representative never answers: refused and destroyed after the wait.
    late = e.await_representative("signup", None, {**kid, "guardian_phone": "010-0000-7002"}).subject
    clock.advance(timedelta(days=7, seconds=1))
    with pytest.raises(ChildrenError, match="expired"):
        e.collect("signup", None, {"email": "late@example.com"}, {}, WEB, "f", representative=PHONE, subject=late)
    assert e.consents.subject(late).status is SubjectStatus.REFUSED
    assert e.vault.get(late) == {}
    third = e.await_representative("signup", None, {**kid, "guardian_phone": "010-0000-7003"}).subject
    assert e.consents.expire_awaiting() == []
    clock.advance(timedelta(days=8))
    assert e.consents.expire_awaiting() == [third]
    assert e.vault.get(third) == {}
    assert e.verify_consents().ok


def test_a_birth_date_given_later_that_shows_a_child_needs_the_representative(
    database: Database, policy: Policy, passwords: PasswordHashing, clock: FixedClock
) -> None:
    e = engine_on(database, policy, passwords, clock)
    sid = e.collect("signup", None, {"email": "kid@example.com", "phone": "010-0000-8001"}, {"events": True}, WEB, "f")
    before = counts(e)
    with pytest.raises(ChildrenError, match="R-CHILD-1"):
        e.collect("profile", None, {"birth_date": "2018-05-05"}, {}, WEB, "f-2", subject=sid.subject)
    assert counts(e) == before  # nothing written
    assert not e.consents.subject(sid.subject).child
    e.collect("profile", None, {"birth_date": "1990-05-05"}, {}, WEB, "f-3", subject=sid.subject)  # an adult: fine
    assert not e.consents.subject(sid.subject).child
    reps = {"guardian_name": "홍길동", "guardian_phone": "010-0000-8002"}
    e.collect(
        "profile", None, {"birth_date": "2018-05-05", **reps}, {}, WEB, "f-4", representative=PHONE, subject=sid.subject
    )
    assert e.consents.subject(sid.subject).child
    rep_grant = [ev for ev in e.consents.events(sid.subject) if ev.actor == "representative"]
    assert [ev.topics for ev in rep_grant] == [("events",)]
    assert rep_grant[0].verification is RepresentativeVerification.PHONE
    assert e.may_use(sid.subject, "phone", "events")
