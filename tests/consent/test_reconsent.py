"""Consent to a new policy version through the engine, on a SQLite file: a child's consents are given again only by
its verified legal representative (R-CHILD-1/2), and a purpose a new version moves onto consent needs the subject's
consent before its data may serve it (R-POL-4, R-CON-3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from jikimi.adapters.storage.consent_store import SqlConsentStore, open_consent_store
from jikimi.clock import FixedClock
from jikimi.consent import Representative
from jikimi.engine import Engine
from jikimi.errors import ChildrenError, ConsentError
from jikimi.policy import Policy, load_policy_text
from jikimi.policy.model import BasisKind, ConsentMethod, RepresentativeVerification
from jikimi.vault import LocalKeyring

from .conftest import NOW

WEB = ConsentMethod.WEB_CLICK
PHONE = Representative(RepresentativeVerification.PHONE, "call-0001")

POLICY = """
format: 1
controller: {name: 주식회사 예시}
service: {key: versions, name: 버전 예시}
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
    purposes: [membership, events, delivery, guardian_check]
purposes:
  membership: {label: 회원 관리, basis: {kind: contract}, items: [email, birth_date, address]}
  events: {label: 이벤트 안내, basis: {kind: consent}, consent: optional, items: [phone]}
  delivery: {label: 경품 배송, basis: {kind: contract}, items: [phone]}
  guardian_check: {label: 법정대리인 동의 확인, basis: {kind: statute, law: 개인정보 보호법, article: 제22조의2},
                   items: [guardian_name, guardian_phone]}
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
CHILD = {
    "email": "kid@example.com",
    "phone": "010-0000-9001",
    "birth_date": "2018-05-05",
    "guardian_name": "홍길동",
    "guardian_phone": "010-0000-9002",
}
ADULT = {"email": "hong@example.com", "phone": "010-0000-9003", "birth_date": "1990-01-01"}


@pytest.fixture(scope="module")
def v1() -> Policy:
    return load_policy_text(POLICY)


def later(policy: Policy, version: str, **changes: object) -> Policy:
    return policy.model_copy(
        update={"version": version, "effective_date": policy.effective_date + timedelta(days=60), **changes}
    )


def widened(v1: Policy) -> Policy:
    """Version 2: the events purpose uses the address too (its consent must be given again)."""
    events = v1.purposes["events"].model_copy(update={"items": ("phone", "address")})
    return later(v1, "2", purposes={**v1.purposes, "events": events})


def on_consent(v1: Policy) -> Policy:
    """Version 2: the delivery purpose, a contract before, now rests on an optional consent."""
    basis = v1.purposes["delivery"].basis.model_copy(update={"kind": BasisKind.CONSENT})
    delivery = v1.purposes["delivery"].model_copy(update={"basis": basis, "consent": "optional"})
    return later(v1, "2", purposes={**v1.purposes, "delivery": delivery})


class Versions:
    """Engines of successive policy versions over one SQLite file (one keyring, one clock)."""

    def __init__(self, path: Path) -> None:
        self.store: SqlConsentStore = open_consent_store(f"sqlite:///{path / 'consent.db'}")
        self.keyring = LocalKeyring.generate()
        self.clock = FixedClock(NOW)

    def engine(self, policy: Policy) -> Engine:
        return Engine(policy, self.store, self.keyring, self.clock)

    def event_count(self, engine: Engine) -> int:
        return engine.verify_consents().events


@pytest.fixture
def versions(tmp_path: Path) -> Iterator[Versions]:
    made = Versions(tmp_path)
    yield made
    made.store.close()


def test_a_childs_reconsent_needs_the_representatives_verified_consent(v1: Policy, versions: Versions) -> None:
    old = versions.engine(v1)
    child = old.collect("signup", None, CHILD, {"events": True}, WEB, "form-1", representative=PHONE).subject
    grant = next(e for e in old.consents.events(child) if e.topics == ("events",))
    # At sign-up the representative's grant carries its verification method and evidence reference (R-CHILD-2).
    assert (grant.actor, grant.verification, grant.evidence) == ("representative", PHONE.verification, "call-0001")
    adult = old.collect("signup", None, ADULT, {"events": True}, WEB, "form-2").subject

    new = versions.engine(widened(v1))
    new.consents.adopt(v1)
    assert new.consents.needing_reconsent() == {child: ("events",), adult: ("events",)}
    before = versions.event_count(new)
    email = Representative(RepresentativeVerification.EMAIL, "mail-0001")
    refusals = [
        (None, "R-CHILD-1"),  # the child alone
        (email, "R-CHILD-2"),  # a method this policy does not allow
        (Representative(RepresentativeVerification.PHONE, "  "), "R-CHILD-2"),  # no evidence reference
    ]
    for representative, rule in refusals:
        with pytest.raises(ChildrenError, match=rule):
            new.reconsent(child, ["events"], WEB, "form-3", representative=representative)
        assert versions.event_count(new) == before  # nothing written
        assert not new.may_use(child, "phone", "events")

    again = new.reconsent(child, ["events"], WEB, "form-3", representative=PHONE)
    [event] = again.events
    assert (event.actor, event.verification, event.evidence, event.policy_version) == (
        "representative",
        RepresentativeVerification.PHONE,
        "call-0001",
        "2",
    )
    assert new.may_use(child, "phone", "events")
    # An adult consents again without a representative; the ledger still verifies.
    new.reconsent(adult, ["events"], WEB, "form-4")
    assert new.consents.needing_reconsent() == {}
    assert new.verify_consents().ok


def test_a_purpose_moved_onto_consent_needs_the_subjects_consent(v1: Policy, versions: Versions) -> None:
    old = versions.engine(v1)
    sid = old.collect("signup", None, ADULT, {}, None, None).subject
    assert old.may_use(sid, "phone", "delivery")  # a contract purpose: no consent needed

    new = versions.engine(on_consent(v1))  # no adopt(): the basis in force is what counts
    assert not new.may_use(sid, "phone", "delivery")
    assert new.may_use(sid, "email", "membership")  # still a contract
    state = new.consents.book.state(sid)
    assert state is not None
    assert state.unconsented == {"delivery"}
    assert new.consents.needing_reconsent() == {sid: ("delivery",)}
    with pytest.raises(ConsentError, match="no consent to 'delivery' in force"):
        new.withdraw_consent(sid, ["delivery"], WEB, "form-5")  # nothing to withdraw yet

    given = new.reconsent(sid, ["delivery"], WEB, "form-6")
    assert [(e.topics, e.items, e.policy_version) for e in given.events] == [(("delivery",), ("phone",), "2")]
    assert new.may_use(sid, "phone", "delivery")
    assert new.consents.needing_reconsent() == {}
    new.consents.book.forget()  # rebuilt from the ledger alone, the answer is the same
    assert new.may_use(sid, "phone", "delivery")
    # Withdrawn, the purpose is out of force again: the old contract basis does not come back.
    new.withdraw_consent(sid, ["delivery"], WEB, "form-7")
    assert not new.may_use(sid, "phone", "delivery")
    assert new.verify_consents().ok
