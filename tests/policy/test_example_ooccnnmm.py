"""Facts of examples/sources/seeds/ooccnnmm.txt (ooccnnmm.com, machine-translated and truncated) in its YAML."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from jikimi.policy import load_policy
from jikimi.policy.model import (
    AdvertisingChannel,
    BasisKind,
    ChannelKind,
    ItemCategory,
    ItemFormat,
    Policy,
    Recipient,
)

POLICY_PATH = Path(__file__).resolve().parents[2] / "examples" / "policies" / "ooccnnmm.yaml"

USER_INFO = ["name", "phone", "rrn", "email"]
ALL_ITEMS = [*USER_INFO, "order_info"]


@cache
def policy() -> Policy:
    return load_policy(POLICY_PATH)


def recipient(name: str) -> Recipient:
    matches = [r for r in policy().recipients if r.name == name]
    assert len(matches) == 1, f"no single recipient named {name!r}"
    return matches[0]


def notes_text() -> str:
    return "\n".join(policy().notes)


def test_controller_and_service_are_ooccnnmm() -> None:
    p = policy()
    assert p.controller.name == "ooccnnmm.com 서비스 제공자"
    assert p.controller.website == "ooccnnmm.com"
    assert p.service.key == "ooccnnmm"
    assert p.title == "개인정보 보호정책"


def test_missing_date_and_officer_are_marked_placeholders() -> None:
    p = policy()
    # The source gives no date and no officer: placeholders, not invented facts.
    assert p.version == "미기재"
    assert p.effective_date.year == 1900
    assert p.officers.privacy_officer.name == "미기재"
    assert p.officers.privacy_officer.email is None
    assert p.officers.privacy_officer.phone is None


def test_customer_centre_heading_without_contact_details() -> None:
    p = policy()
    assert [c.name for c in p.contacts] == ["고객센터"]
    assert p.contacts[0].phone is None
    assert p.contacts[0].email is None
    assert p.remedies == ()


@pytest.mark.parametrize(
    ("key", "label", "category", "fmt"),
    [
        ("name", "이름", ItemCategory.GENERAL, ItemFormat.NAME),
        ("phone", "전화번호", ItemCategory.GENERAL, ItemFormat.PHONE),
        ("rrn", "주민등록번호", ItemCategory.UNIQUE_IDENTIFIER, ItemFormat.RRN),
        ("email", "이메일", ItemCategory.GENERAL, ItemFormat.EMAIL),
        ("order_info", "주문 정보 중 거래와 관련된 필수 정보", ItemCategory.GENERAL, ItemFormat.TEXT),
    ],
)
def test_items_match_source(key: str, label: str, category: ItemCategory, fmt: ItemFormat) -> None:
    item = policy().items[key]
    assert item.label == label
    assert item.category is category
    assert item.format is fmt
    assert item.personal


def test_only_source_items_are_declared() -> None:
    assert set(policy().items) == set(ALL_ITEMS)


@pytest.mark.parametrize(("key", "searchable"), [("phone", True), ("email", True), ("rrn", False)])
def test_searchable_items(key: str, searchable: bool) -> None:
    assert policy().items[key].searchable is searchable


def test_basic_features_channel_requires_user_info() -> None:
    ch = policy().channels["basic_features"]
    assert set(ch.required) == set(USER_INFO)
    assert ch.optional == ()
    assert "basic_features" in ch.purposes


def test_additional_features_channel_names_no_items() -> None:
    ch = policy().channels["additional_features"]
    assert policy().channel_items("additional_features") == set()
    assert ch.purposes == ("additional_features",)


def test_order_channel_collects_order_info() -> None:
    ch = policy().channels["order"]
    assert ch.kind is ChannelKind.PAID_SERVICE
    assert ch.required == ("order_info",)
    assert "order_fulfilment" in ch.purposes


@pytest.mark.parametrize(
    ("key", "basis", "consent", "items"),
    [
        ("basic_features", BasisKind.CONSENT, "required", USER_INFO),
        ("additional_features", BasisKind.CONSENT, "optional", []),
        ("order_fulfilment", BasisKind.CONTRACT, None, ["order_info"]),
        ("legal_obligations", BasisKind.STATUTE, None, ALL_ITEMS),
        ("consented_sharing", BasisKind.CONSENT, "optional", ALL_ITEMS),
        ("new_service_email", BasisKind.CONSENT, "optional", ["email"]),
    ],
)
def test_purposes_match_source(key: str, basis: BasisKind, consent: str | None, items: list[str]) -> None:
    purpose = policy().purposes[key]
    assert purpose.basis.kind is basis
    assert purpose.consent == consent
    assert set(purpose.items) == set(items)


def test_only_new_service_email_is_marketing() -> None:
    marketing = [k for k, p in policy().purposes.items() if p.marketing]
    assert marketing == ["new_service_email"]


def test_no_retention_rows_because_source_states_none() -> None:
    assert policy().retention == ()
    assert policy().destruction.procedure == "미기재"


def test_no_trustees_or_overseas_transfers() -> None:
    assert policy().trustees == ()
    assert policy().overseas_transfers == ()


@pytest.mark.parametrize(
    ("name", "basis", "items", "purpose"),
    [
        ("행정·사법 기관", BasisKind.STATUTE, ALL_ITEMS, "소송·분쟁 해결"),
        ("고객님이 동의한 다른 측 (미기재)", BasisKind.CONSENT, ALL_ITEMS, "미기재"),
        ("관련 상품 또는 서비스의 제공자", BasisKind.CONTRACT, ["order_info"], "배송"),
    ],
)
def test_recipients_match_source(name: str, basis: BasisKind, items: list[str], purpose: str) -> None:
    r = recipient(name)
    assert r.basis.kind is basis
    assert set(r.items) == set(items)
    assert purpose in r.purposes
    assert r.retention == "미기재"


def test_merchants_get_order_data_for_transaction_delivery_and_after_service() -> None:
    assert recipient("관련 상품 또는 서비스의 제공자").purposes == ("거래", "배송", "애프터서비스")
    assert len(policy().recipients) == 3


def test_minors_rule_is_18_and_under_with_guardian_consent() -> None:
    children = policy().children
    # "18세 이하" -> guardian consent below 19; admitted is false only because no method is stated.
    assert children.age_threshold == 19
    assert children.admitted is False
    assert children.note is not None
    assert "보호자의 동의" in children.note
    assert "18세 이하의 미성년자" in notes_text()


def test_new_service_email_is_email_advertising_with_unsubscribe() -> None:
    ad = policy().advertising
    assert ad is not None
    assert ad.channels == (AdvertisingChannel.EMAIL,)
    assert ad.purpose == "new_service_email"
    assert ad.note is not None
    assert "구독을 취소" in ad.note
    assert "이메일 구독 취소" in policy().rights.self_service


def test_cookies_not_described() -> None:
    assert policy().cookies is None


def test_seven_service_restrictions() -> None:
    restrictions = policy().service_restrictions
    assert len(restrictions) == 7
    assert restrictions[0].startswith("사이버 공격, 대량의 광고를 게시하는")
    assert "1인당 1일 1회 참여 제한" in restrictions[5]
    assert "주민등록번호" in restrictions[4]
    assert "미이행 주문을 취소" in notes_text()


@pytest.mark.parametrize(
    "quote",
    [
        "명확한 동의 없으면 우리는 당신이 본 정책에 따라 향유하는 권리를 제한하지 않을 것",
        "사응하는 안전 조치",
        "국가 관련 법률규정에 따라 미성년자의 개인 정보를 보호",
    ],
)
def test_unstructured_statements_kept_in_notes(quote: str) -> None:
    assert quote in notes_text()
