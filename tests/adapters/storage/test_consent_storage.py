"""Sign-up, approval and withdrawal through each example policy's channels, on SQLite and PostgreSQL.

All personal data is obviously fake (example.com, 010-0000-xxxx style numbers, 홍길동, an RRN of nobody).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jikimi.adapters.storage.consent_store import SqlConsentSession, SqlConsentStore
from jikimi.adapters.storage.consent_tables import consent_events, consent_subjects
from jikimi.adapters.storage.tables import blind_index, fields
from jikimi.clock import FixedClock
from jikimi.consent import Representative, SubjectStatus
from jikimi.consent.ledger import LedgerRecord
from jikimi.engine import Engine
from jikimi.errors import (
    ChildrenError,
    CollectionError,
    ConsentError,
    DuplicateSubjectError,
    InvalidValueError,
)
from jikimi.policy import load_policy
from jikimi.policy.model import ConsentMethod, RepresentativeVerification
from jikimi.vault import LocalKeyring, PasswordHashing

from .conftest import Database

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "policies"
WEB = ConsentMethod.WEB_CLICK
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def engine_for(database: Database, name: str, passwords: PasswordHashing) -> Engine:
    store = SqlConsentStore.over(database.open())
    database.stores.insert(0, store)  # closed first, with its idle read connections, then the engine
    return Engine(
        load_policy(EXAMPLES / f"{name}.yaml"), store, LocalKeyring.generate(), FixedClock(NOW), passwords=passwords
    )


def counts(engine: Engine) -> tuple[int, int, int, int]:
    store = engine.store
    assert isinstance(store, SqlConsentStore)
    with store.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.scalar(select(func.count()).select_from(t)) or 0)
            for t in (fields, blind_index, consent_subjects, consent_events)
        )


ADULT_1MM = {"mobile_phone": "010-0000-1001", "email": "hong@example.com", "login_id": "hong1001"}
CHILD_1MM = {
    "mobile_phone": "010-0000-1002",
    "email": "kid@example.com",
    "login_id": "kid1002",
    "birth_date": "2018-05-05",
    "guardian_name": "홍길동",
    "guardian_phone": "010-0000-1003",
}
PASS = Representative(RepresentativeVerification.REAL_NAME_AGENCY, "pass-tx-0001")


@pytest.fixture
def mm(database: Database, passwords: PasswordHashing) -> Engine:
    return engine_for(database, "1mm", passwords)


def test_1mm_adult_member_device_registration_and_payment(mm: Engine) -> None:
    joined = mm.collect("signup", "general", ADULT_1MM, {"service_improvement": True, "marketing": False}, WEB, "f-1")
    sid = joined.subject
    assert joined.status is SubjectStatus.ACTIVE
    assert mm.vault.get(sid) == ADULT_1MM
    assert mm.may_use(sid, "email", "member_management")
    assert not mm.may_use(sid, "email", "marketing")  # refused, and still a member (R-CON-4)
    device = {
        "device_model": "SM-TEST",
        "device_id": "TEST-DEVICE-0001",
        "carrier": "TEST",
        "payment_approval_number": "A1",
    }
    mm.collect("device_registration", None, device, {}, None, None, subject=sid)  # the subject's own type
    with pytest.raises(ConsentError, match="of type 'general'"):
        mm.collect("device_registration", "child", device, {}, None, None, subject=sid)
    assert mm.may_use(sid, "device_id", "content_payment")
    card = {"card_company": "테스트카드", "card_number": "4111-1111-1111-1111", "card_expiry": "12/30"}
    mm.collect("payment", "general", card, {}, None, None, subject=sid)
    with pytest.raises(CollectionError, match="R-CON-6"):
        mm.collect("payment", "general", {"discount_certificates": "복지할인 증명 TEST"}, {}, None, None, subject=sid)
    mm.collect(
        "payment",
        "general",
        {"discount_certificates": "복지할인 증명 TEST"},
        {"sensitive": True},
        WEB,
        "f-2",
        subject=sid,
    )
    assert mm.vault.get(sid, ["card_number", "discount_certificates"])["card_number"] == card["card_number"]
    assert mm.verify_consents().ok


def test_1mm_child_member_needs_a_verified_representative(mm: Engine) -> None:
    with pytest.raises(ChildrenError, match="R-CHILD-1"):
        mm.collect("signup", "child", CHILD_1MM, {"service_improvement": True}, WEB, "f-3")
    email = Representative(RepresentativeVerification.EMAIL, "mail-0001")
    with pytest.raises(ChildrenError, match="R-CHILD-2"):
        mm.collect("signup", "child", CHILD_1MM, {"service_improvement": True}, WEB, "f-3", representative=email)
    adult_form = {k: v for k, v in CHILD_1MM.items() if not k.startswith("guardian")}
    with pytest.raises(ChildrenError, match="R-CHILD-3"):  # a 7-year-old cannot join as a general member
        mm.collect("signup", "general", adult_form, {"service_improvement": True}, WEB, "f-3", representative=PASS)
    assert counts(mm) == (0, 0, 0, 0)
    child = mm.collect("signup", "child", CHILD_1MM, {"service_improvement": True}, WEB, "f-3", representative=PASS)
    grant = next(e for e in child.events if e.kind.value == "grant")
    assert (grant.actor, grant.verification) == ("representative", RepresentativeVerification.REAL_NAME_AGENCY)
    assert mm.may_use(child.subject, "guardian_phone", "guardian_consent")
    assert not mm.may_use(child.subject, "guardian_phone", "member_management")  # locked (R-CHILD-3)


def test_duplicate_sign_up_is_refused(mm: Engine) -> None:
    mm.collect("signup", "general", ADULT_1MM, {"service_improvement": True}, WEB, "f-1")
    before = counts(mm)
    again = {**ADULT_1MM, "email": "other@example.com", "login_id": "other1"}
    with pytest.raises(DuplicateSubjectError) as caught:
        mm.collect("signup", "general", again, {"service_improvement": True}, WEB, "f-4")
    assert "010-0000-1001" not in str(caught.value)
    assert counts(mm) == before


@pytest.mark.parametrize(
    ("channel", "kind", "data", "consents", "rule"),
    [
        ("nowhere", "general", ADULT_1MM, {"service_improvement": True}, "channel 'nowhere'"),
        ("signup", "alien", ADULT_1MM, {"service_improvement": True}, "subject type 'alien'"),
        ("signup", "general", {"email": "a@example.com", "login_id": "a1"}, {"service_improvement": True}, "R-CON-5"),
        ("signup", "general", {**ADULT_1MM, "address": "서울"}, {"service_improvement": True}, "R-CON-5"),
        ("signup", "general", ADULT_1MM, {"service_improvement": False}, "R-CON-4"),
        ("signup", "general", ADULT_1MM, {"service_improvement": True, "lottery": True}, "R-CON-1"),
        ("signup", "general", ADULT_1MM, {"service_improvement": True, "contract_billing": True}, "R-CON-1"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    mm: Engine, channel: str, kind: str, data: dict[str, str], consents: dict[str, bool], rule: str
) -> None:
    with pytest.raises(CollectionError, match=rule):
        mm.collect(channel, kind, data, consents, WEB, "f-5")
    assert counts(mm) == (0, 0, 0, 0)


def test_invalid_format_writes_nothing(mm: Engine) -> None:
    with pytest.raises(InvalidValueError) as caught:
        mm.collect(
            "signup", "general", {**ADULT_1MM, "mobile_phone": "not-a-phone"}, {"service_improvement": True}, WEB, "f"
        )
    assert "not-a-phone" not in str(caught.value)  # messages name the item and the rule, never the value
    assert counts(mm) == (0, 0, 0, 0)


class _FailingSession(SqlConsentSession):
    def append_records(self, records: Sequence[LedgerRecord]) -> None:
        raise RuntimeError("injected fault between the data write and the ledger write")


class _FailingStore(SqlConsentStore):
    @contextmanager
    def consent_transaction(self) -> Iterator[SqlConsentSession]:
        with self.engine.begin() as conn:
            yield _FailingSession(conn)


def test_a_crash_between_data_and_ledger_leaves_no_half_subject(database: Database, passwords: PasswordHashing) -> None:
    store = _FailingStore(database.open().engine)
    database.stores.insert(0, store)
    engine = Engine(
        load_policy(EXAMPLES / "1mm.yaml"), store, LocalKeyring.generate(), FixedClock(NOW), passwords=passwords
    )
    with pytest.raises(RuntimeError, match="injected"):
        engine.collect("signup", "general", ADULT_1MM, {"service_improvement": True}, WEB, "f-6")
    assert counts(engine) == (0, 0, 0, 0)


def test_partnercenter_three_member_types_with_approval(database: Database, passwords: PasswordHashing) -> None:
    pc = engine_for(database, "partnercenter", passwords)
    common = {
        "login_id": "",
        "password": "correct horse battery staple",
        "manager_name": "홍길동",
        "manager_mobile": "",
    }
    company = {"company_name": "테스트 엔터", "business_number": "123-45-67800"}
    forms = {
        "agency": {**company, "representative_name": "김철수"},
        "distributor": company,
        "artist": {"has_agency": "없음", "artist_name": "이영희"},
    }
    subjects = {}
    for n, (kind, own) in enumerate(forms.items()):
        data = {**common, **own, "login_id": f"partner{n}", "manager_mobile": f"010-0000-200{n}"}
        joined = pc.collect("signup", kind, data, {"service_development": True}, WEB, f"pc-{n}")
        assert joined.status is SubjectStatus.PENDING
        assert not pc.may_use(joined.subject, "login_id", "member_management")  # nothing until approved
        subjects[kind] = joined.subject
    assert pc.decide(subjects["agency"], True, "op-1") is SubjectStatus.ACTIVE
    assert pc.may_use(subjects["agency"], "login_id", "member_management")
    assert pc.decide(subjects["artist"], False, "op-1") is SubjectStatus.REFUSED
    assert pc.vault.get(subjects["artist"]) == {}
    assert pc.vault.find_by("login_id", "partner2") == []
    assert not pc.may_use(subjects["artist"], "login_id", "member_management")
    assert pc.verify_consents().ok
    with pytest.raises(CollectionError, match="inquirer"):
        pc.collect("signup", "inquirer", {**common, "login_id": "x"}, {}, WEB, "pc")


def test_ooccnnmm_basic_then_additional_features(database: Database, passwords: PasswordHashing) -> None:
    oc = engine_for(database, "ooccnnmm", passwords)
    data = {"name": "홍길동", "phone": "010-0000-3001", "rrn": "900101-1234568", "email": "hong@example.com"}
    with pytest.raises(CollectionError, match="R-CON-4"):
        oc.collect("basic_features", None, data, {}, WEB, "oc")
    basic = oc.collect("basic_features", None, data, {"basic_features": True}, WEB, "oc-1")
    sid = basic.subject
    assert oc.may_use(sid, "rrn", "legal_obligations")  # the RRN rests on a statute (R-CON-6)
    assert not oc.may_use(sid, "email", "new_service_email")
    # The additional-features consent has no items in the policy: the subject only agrees to it.
    oc.collect("additional_features", None, {}, {"additional_features": True}, WEB, "oc-2", subject=sid)
    assert "additional_features" in oc.consents.book.state(sid).granted  # type: ignore[union-attr]
    oc.collect("order", None, {"order_info": "주문 TEST-1"}, {}, None, None, subject=sid)
    assert oc.may_use(sid, "order_info", "order_fulfilment")


def test_123solution_phone_and_device_id_as_account(database: Database, passwords: PasswordHashing) -> None:
    s123 = engine_for(database, "123solution", passwords)
    required = {"friend_search": True, "friend_suggestion": True, "inquiries": True, "notices": True}
    data = {"mobile_phone": "010-0000-4001", "device_id": "TEST-IMEI-0001", "contact_intl_numbers": "010-0000-4002"}
    joined = s123.collect("voluntary", None, data, required, WEB, "app-1")
    assert s123.vault.find_by("device_id", "TEST-IMEI-0001") == [joined.subject]
    with pytest.raises(DuplicateSubjectError, match="device_id"):
        s123.collect("voluntary", None, {**data, "mobile_phone": "010-0000-4003"}, required, WEB, "app-2")
    s123.collect(
        "voluntary", None, {**data, "mobile_phone": "010-0000-4004", "device_id": "TEST-IMEI-0002"}, required, WEB, "a"
    )


def test_ktmns_complaint_web_report_and_delivery(database: Database, passwords: PasswordHashing) -> None:
    kt = engine_for(database, "ktmns", passwords)
    complaint = {"name": "홍길동", "phone_number": "010-0000-5001", "inquiry_content": "TEST 민원"}
    filed = kt.collect(
        "complaint", None, complaint, {"complaint_handling": True}, ConsentMethod.PHONE, "call-1", "agent-7"
    )
    with pytest.raises(CollectionError, match="R-CON-5"):  # name given without the result-check consent it serves
        kt.collect(
            "web_report", None, {"report_content": "TEST", "name": "홍길동"}, {"report_handling": True}, WEB, "w"
        )
    report = {"report_content": "TEST 제보", "name": "홍길동", "password": "correct horse battery staple"}
    consents = {"report_handling": True, "report_result_check": True}
    reported = kt.collect("web_report", None, report, consents, WEB, "web-1")
    shop = kt.collect("online_shop", None, {"name": "홍길동", "phone_number": "010-0000-5002"}, {}, None, None)
    assert kt.may_use(shop.subject, "phone_number", "online_shop_service")
    # Withdrawing the optional consent destroys its items at once (R-DSR-7); the report itself stays.
    gone = kt.withdraw_consent(reported.subject, ["report_result_check"], WEB, "web-2")
    assert gone.destroyed == ("name", "password")
    assert kt.vault.get(reported.subject) == {"report_content": "TEST 제보"}
    assert not kt.vault.verify_password(reported.subject, "password", "correct horse battery staple")
    assert gone.status is SubjectStatus.ACTIVE
    # Withdrawing the consent the complaint depends on ends the relationship.
    left = kt.withdraw_consent(filed.subject, ["complaint_handling"], ConsentMethod.PHONE, "call-2", "agent-7")
    assert left.status is SubjectStatus.WITHDRAWN
    assert not kt.may_use(filed.subject, "name", "complaint_handling")
    with pytest.raises(ConsentError, match="withdrawn"):
        kt.collect("complaint", None, complaint, {"complaint_handling": True}, WEB, "w", subject=filed.subject)
    assert kt.verify_consents().ok


def test_tampering_is_found_at_the_first_broken_link(mm: Engine) -> None:
    mm.collect("signup", "general", ADULT_1MM, {"service_improvement": True, "marketing": True}, WEB, "f-1")
    store = mm.store
    assert isinstance(store, SqlConsentStore)
    with store.engine.begin() as conn:
        body = conn.scalar(select(consent_events.c.body).where(consent_events.c.seq == 2))
        edited = bytes(body).replace(b'"items":[', b'"items":["address",')
        conn.execute(consent_events.update().where(consent_events.c.seq == 2).values(body=edited))
    result = mm.verify_consents()
    assert result.broken is not None
    assert result.broken.seq == 2


def test_a_vault_database_is_upgraded_to_the_consent_schema(database: Database) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from jikimi.adapters.storage import normalise_url, upgrade_database
    from jikimi.adapters.storage.schema import _config
    from jikimi.errors import SchemaError

    args = {"connect_args": {"options": f"-c search_path={database.schema}"}} if database.schema else {}
    old = create_engine(normalise_url(database.url), **args)  # type: ignore[arg-type]
    with old.begin() as conn:
        command.upgrade(_config(conn), "0001")
    old.dispose()
    with pytest.raises(SchemaError, match="db upgrade"):
        database.open()
    assert upgrade_database(database.url, schema=database.schema) >= "0002"  # later revisions follow
    database.open()
