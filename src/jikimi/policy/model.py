"""The policy model: one service's 개인정보 처리방침 as typed, immutable data.

A policy file (YAML) is loaded into :class:`Policy`. Field names here are the keys of the YAML file, so the
documentation (``docs/policy-format.md``), the generated JSON Schema and the code use the same words. Cross-references
between sections (a purpose naming an item, a channel naming a purpose ...) are checked by
:mod:`jikimi.policy.checks`, not here: this module states shapes only.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "Advertising",
    "AdvertisingChannel",
    "AutomatedDecision",
    "BasisKind",
    "Channel",
    "ChannelKind",
    "Children",
    "ClockStart",
    "ConsentMethod",
    "Contact",
    "Controller",
    "Cookies",
    "Destruction",
    "Item",
    "ItemCategory",
    "ItemFormat",
    "ItemSet",
    "Key",
    "LegalBasis",
    "Notice",
    "Officers",
    "OverseasTransfer",
    "Period",
    "Person",
    "Policy",
    "Purpose",
    "Recipient",
    "RecordKind",
    "RepresentativeVerification",
    "RetentionBasis",
    "RetentionRule",
    "Rights",
    "Role",
    "SafetyMeasures",
    "Service",
    "SubjectType",
    "Trustee",
]

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
"""An identifier used in code and in cross-references: lowercase ASCII, digits and underscores."""

Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


def _not_a_number(value: object) -> object:
    # pydantic would read 0 as 1970-01-01; a policy date is written as a date (2026-01-01).
    if isinstance(value, int | float):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


CalendarDate = Annotated[date, BeforeValidator(_not_a_number)]


def _plain_int(value: object) -> object:
    # YAML true and 1.0 would pass as 1; the format version is written as a plain integer.
    if isinstance(value, bool | float):
        raise ValueError("the format version is a plain integer, e.g. 1")
    return value


_PERIOD = re.compile(r"^(?:(?P<n>\d+)(?P<unit>[dmy])|permanent)$")

Period = Annotated[str, StringConstraints(pattern=_PERIOD.pattern)]
"""A length of time: ``30d``, ``3m`` (months), ``5y``; ``permanent`` only to encode a source that says 영구."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


# --- vocabularies ------------------------------------------------------------------------------------------


class ItemCategory(StrEnum):
    """How an item is handled. The vault decides encryption, hashing and masking by category."""

    GENERAL = "general"
    UNIQUE_IDENTIFIER = "unique_identifier"  # 고유식별정보: 주민등록번호, 여권, 운전면허, 외국인등록번호
    SENSITIVE = "sensitive"  # 민감정보 (PIPA 제23조)
    BIOMETRIC = "biometric"  # 생체인식정보 (민감정보 and authentication data, R-SEC-14)
    PASSWORD = "password"  # stored one-way only
    PAYMENT = "payment"  # card and account numbers
    DEVICE_IDENTIFIER = "device_identifier"  # IMEI, device id, advertising id, online account ids
    AUTO_GENERATED = "auto_generated"  # logs, cookies, IP addresses, usage records


class ItemFormat(StrEnum):
    """The shape of a value: decides input validation and the masking convention."""

    TEXT = "text"
    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    RRN = "rrn"  # 주민등록번호 / 외국인등록번호
    CARD_NUMBER = "card_number"
    ACCOUNT_NUMBER = "account_number"
    IP_ADDRESS = "ip_address"
    DATE = "date"
    LOGIN_ID = "login_id"
    DEVICE_ID = "device_id"
    BUSINESS_NUMBER = "business_number"  # 사업자등록번호
    ADDRESS = "address"
    IMAGE = "image"
    URL = "url"
    SECRET = "secret"  # passwords and authentication keys


class ChannelKind(StrEnum):
    SIGNUP = "signup"
    PAID_SERVICE = "paid_service"
    PAYMENT = "payment"
    COMPLAINT = "complaint"
    WEB_REPORT = "web_report"
    DELIVERY = "delivery"
    CUSTOMER_CENTRE = "customer_centre"
    AUTOMATIC = "automatic"
    LINKED_SERVICE = "linked_service"
    EVENT = "event"
    OTHER = "other"


class BasisKind(StrEnum):
    """Legal bases of PIPA 제15조제1항 (and 제17조 for provision)."""

    CONSENT = "consent"  # 제1호
    STATUTE = "statute"  # 제2호: 법률에 특별한 규정 / 법령상 의무
    PUBLIC_TASK = "public_task"  # 제3호
    CONTRACT = "contract"  # 제4호: 계약 체결·이행
    VITAL_INTEREST = "vital_interest"  # 제5호
    LEGITIMATE_INTEREST = "legitimate_interest"  # 제6호


class ClockStart(StrEnum):
    """The event that starts a retention clock."""

    COLLECTION = "collection"
    WITHDRAWAL = "withdrawal"  # 회원탈퇴 / 서비스 해지
    CONSENT_WITHDRAWAL = "consent_withdrawal"
    CONTRACT_END = "contract_end"
    PURPOSE_COMPLETION = "purpose_completion"  # a complaint answered, a delivery done
    TRANSACTION = "transaction"  # the record's own date (a payment, a call, a visit)
    DISPUTE_RESOLUTION = "dispute_resolution"
    CONSENT_PERIOD_END = "consent_period_end"  # "동의를 받은 기간까지"


class ConsentMethod(StrEnum):
    WEB_CLICK = "web_click"
    SIGNED_FORM = "signed_form"
    PHONE = "phone"
    IN_PERSON = "in_person"
    APP_POPUP = "app_popup"
    SMS = "sms"
    MAIL = "mail"
    EMAIL = "email"
    FAX = "fax"


class RepresentativeVerification(StrEnum):
    """How a legal representative's consent is verified (PIPA 시행령 제17조의2, R-CHILD-2)."""

    REAL_NAME_AGENCY = "real_name_agency"  # 본인확인기관 (휴대전화 본인인증 등)
    EMAIL = "email"
    PHONE = "phone"
    CARD = "card"
    SIGNED_FORM = "signed_form"
    MAIL = "mail"
    FAX = "fax"
    SMS = "sms"


class AdvertisingChannel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"
    PHONE = "phone"
    FAX = "fax"
    MAIL = "mail"


# --- parts -------------------------------------------------------------------------------------------------


class Contact(_Model):
    """A reachable party: a department, a customer centre, an outside agency."""

    name: Text
    phone: str | None = None
    email: str | None = None
    url: str | None = None
    tasks: tuple[Text, ...] = ()
    note: str | None = None


class Person(_Model):
    name: Text
    title: str | None = None
    department: str | None = None
    phone: str | None = None
    email: str | None = None


class Controller(_Model):
    """개인정보처리자: the company (or body) that decides the processing."""

    name: Text
    name_en: str | None = None
    representative: str | None = None
    business_number: str | None = None
    address: str | None = None
    website: str | None = None


class Service(_Model):
    key: Key
    name: Text
    description: str | None = None
    url: str | None = None
    expected_subjects: int | None = Field(
        default=None,
        ge=0,
        description="Scale estimate; 50,000+ lengthens access-log retention (R-SEC-22).",
    )


class Officers(_Model):
    """개인정보 보호책임자, the handling department and other named staff (PIPA 제31조, R-SEC-30)."""

    privacy_officer: Person
    managers: tuple[Person, ...] = ()
    department: Contact | None = None


class SubjectType(_Model):
    label: Text
    description: str | None = None


class Item(_Model):
    """One kind of personal (or business) information the service may hold."""

    label: Text
    category: ItemCategory = ItemCategory.GENERAL
    format: ItemFormat = ItemFormat.TEXT
    searchable: bool = Field(default=False, description="Keep a keyed blind index for look-ups.")
    personal: bool = Field(default=True, description="False for business data that identifies nobody.")
    max_length: int | None = Field(default=None, gt=0)
    note: str | None = None


class ItemSet(_Model):
    required: tuple[Key, ...] = ()
    optional: tuple[Key, ...] = ()


class Channel(_Model):
    """A collection channel (수집 경로): where and how items come in."""

    label: Text
    kind: ChannelKind
    subject_types: tuple[Key, ...] = Field(default=(), description="Empty: every subject type.")
    required: tuple[Key, ...] = ()
    optional: tuple[Key, ...] = ()
    by_subject_type: dict[Key, ItemSet] = Field(
        default_factory=dict,
        description="Items that differ per subject type, added to the common ones.",
    )
    purposes: tuple[Key, ...] = ()
    approval: bool = Field(default=False, description="Sign-ups wait for review before processing starts.")
    methods: tuple[ConsentMethod, ...] = ()
    note: str | None = None


class LegalBasis(_Model):
    kind: BasisKind
    statute: str | None = Field(default=None, description="A key of the statutory catalogue.")
    law: str | None = Field(default=None, description="A law by name, where the catalogue has no key.")
    article: str | None = None

    @model_validator(mode="after")
    def _statute_named(self) -> LegalBasis:
        if self.kind is BasisKind.STATUTE and not (self.statute or self.law):
            raise ValueError("a statutory basis names its statute (statute: KEY) or its law (law: ...)")
        return self


class Purpose(_Model):
    """A purpose of processing (처리 목적) and the items it may use."""

    label: Text
    basis: LegalBasis
    items: tuple[Key, ...]
    consent: Literal["required", "optional"] | None = Field(
        default=None,
        description="For consent-based purposes: whether the service needs it (required) or it is a "
        "separate, refusable consent (optional).",
    )
    marketing: bool = False
    description: str | None = None


class RecordKind(_Model):
    """An operational record the service keeps (contract, payment, complaint, visit logs ...)."""

    label: Text
    items: tuple[Key, ...] = ()


class RetentionBasis(_Model):
    """Why something is kept: exactly one of a statute, an internal rule, the subject's consent, or a purpose."""

    statute: str | None = Field(default=None, description="A key of the statutory catalogue.")
    law: str | None = Field(default=None, description="A law by name, where the catalogue has no key.")
    article: str | None = None
    internal: str | None = Field(default=None, description="The reason of an internal rule (내부 방침).")
    consent: str | None = Field(default=None, description="What the subject agreed to (개별 동의).")
    purpose: Key | None = Field(default=None, description="Kept while this purpose lasts.")

    @model_validator(mode="after")
    def _exactly_one(self) -> RetentionBasis:
        given = [n for n in ("statute", "law", "internal", "consent", "purpose") if getattr(self, n)]
        if len(given) != 1:
            raise ValueError("a retention basis is exactly one of statute, law, internal, consent or purpose")
        return self


class RetentionRule(_Model):
    """One row of the retention table: what is kept, how long, from when, and why."""

    key: Key
    label: Text
    items: tuple[Key, ...] = ()
    record_kinds: tuple[Key, ...] = ()
    period: Period | None = Field(
        default=None, description="Omitted with a statute basis: the catalogue's period applies."
    )
    starts: ClockStart
    basis: RetentionBasis
    separate_storage: bool = Field(
        default=False,
        description="Kept apart from live data after the purpose ends (분리보관, R-RET-2).",
    )
    use: Key | None = Field(default=None, description="The only purpose the kept data may serve.")
    note: str | None = None


class Trustee(_Model):
    """수탁자: processes personal data on the controller's behalf (PIPA 제26조)."""

    name: Text
    tasks: tuple[Text, ...]
    period: str | None = None
    items: tuple[Key, ...] = ()
    country: str = "KR"
    note: str | None = None


class Recipient(_Model):
    """A third party that receives personal data (제3자 제공, PIPA 제17조)."""

    name: Text
    purposes: tuple[Text, ...]
    items: tuple[Key, ...]
    retention: Text
    basis: LegalBasis
    note: str | None = None


class OverseasTransfer(_Model):
    """국외 이전 (PIPA 제28조의8): what goes where, when, how and why."""

    recipient: Text
    country: Text
    items: tuple[Key, ...]
    purposes: tuple[Text, ...]
    when_and_how: Text
    retention: Text
    basis: LegalBasis
    contact: str | None = None


class Children(_Model):
    """Rules for children (R-CHILD): below ``age_threshold`` a legal representative must consent."""

    age_threshold: int = Field(default=14, ge=0, le=25)
    admitted: bool
    verification_methods: tuple[RepresentativeVerification, ...] = ()
    representative_items: tuple[Key, ...] = ()
    purpose: Key | None = Field(default=None, description="The purpose the representative's items are locked to.")
    no_advertising: bool = False
    note: str | None = None


class Advertising(_Model):
    """Advertising messages (광고성 정보, 정보통신망법 제50조): sent only with consent."""

    channels: tuple[AdvertisingChannel, ...]
    purpose: Key | None = None
    night_time: bool = Field(default=False, description="Sends between 21:00 and 08:00 (separate consent).")
    note: str | None = None


class Cookies(_Model):
    used: bool
    items: tuple[Key, ...] = ()
    purposes: tuple[Text, ...] = ()
    refusal: str | None = None
    expiry: str | None = None


class Notice(_Model):
    """How policy changes are announced (R-POL-4)."""

    minor_days: int = Field(default=7, ge=0)
    material_days: int = Field(default=30, ge=0)
    channels: tuple[Text, ...] = ()


class Destruction(_Model):
    procedure: Text
    electronic: Text
    paper: str | None = None


class Rights(_Model):
    """How data subjects exercise their rights (열람, 정정·삭제, 처리정지, 동의철회)."""

    channels: tuple[Text, ...]
    self_service: tuple[Text, ...] = ()
    agents_allowed: bool = True
    agent_proof: str | None = None
    correction_propagates: bool = Field(
        default=False, description="Corrections are passed on to recipients who got the wrong data."
    )
    provision_history: bool = Field(default=False, description="Subjects may see to whom their data was provided.")


class SafetyMeasures(_Model):
    technical: tuple[Text, ...] = ()
    administrative: tuple[Text, ...] = ()
    physical: tuple[Text, ...] = ()


class AutomatedDecision(_Model):
    label: Text
    description: Text
    items: tuple[Key, ...] = ()


class Role(_Model):
    """A staff role (개인정보취급자) and the purposes it may serve."""

    label: Text
    purposes: tuple[Key, ...]


class Policy(_Model):
    """One service's privacy policy as code."""

    format: Annotated[Literal[1], BeforeValidator(_plain_int)] = Field(
        description="Version of the jikimi policy format."
    )
    controller: Controller
    service: Service
    version: Text
    effective_date: CalendarDate
    announced_date: CalendarDate | None = None
    title: str | None = Field(default=None, description="The published title, as the source words it.")
    officers: Officers
    contacts: tuple[Contact, ...] = Field(default=(), description="Customer centres and complaint channels.")
    remedies: tuple[Contact, ...] = Field(default=(), description="Outside agencies (권익침해 구제방법).")
    subject_types: dict[Key, SubjectType] = Field(default_factory=dict)
    items: dict[Key, Item]
    channels: dict[Key, Channel]
    purposes: dict[Key, Purpose]
    record_kinds: dict[Key, RecordKind] = Field(default_factory=dict)
    retention: tuple[RetentionRule, ...]
    trustees: tuple[Trustee, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    overseas_transfers: tuple[OverseasTransfer, ...] = ()
    children: Children
    consent_methods: tuple[ConsentMethod, ...] = ()
    advertising: Advertising | None = None
    cookies: Cookies | None = None
    notice: Notice = Notice()
    destruction: Destruction
    rights: Rights
    safety_measures: SafetyMeasures = SafetyMeasures()
    automated_decisions: tuple[AutomatedDecision, ...] = ()
    roles: dict[Key, Role] = Field(default_factory=dict)
    service_restrictions: tuple[Text, ...] = ()
    notes: tuple[Text, ...] = Field(default=(), description="Anything else the source states.")

    def channel_items(self, channel: str) -> set[str]:
        """Every item a channel may collect, over all subject types."""
        ch = self.channels[channel]
        found = set(ch.required) | set(ch.optional)
        for per_type in ch.by_subject_type.values():
            found |= set(per_type.required) | set(per_type.optional)
        return found


def parse_period(period: str) -> tuple[int, str] | None:
    """``"3m"`` -> ``(3, "m")``; ``"permanent"`` -> ``None``."""
    m = _PERIOD.match(period)
    if m is None:
        raise ValueError(f"not a period: {period!r}")
    if m.group("n") is None:
        return None
    return int(m.group("n")), m.group("unit")
