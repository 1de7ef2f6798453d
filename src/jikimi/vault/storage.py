"""How each declared item is stored: one-way, encrypted or as is, and whether it is searchable (R-SEC-14..16).

- ``category: password``: argon2id hash (R-SEC-14), itself encrypted under the data key, so shredding covers it;
- unique identifiers, biometrics, payment and sensitive data, secrets: always AES-256-GCM (R-SEC-15, R-SEC-16),
  whatever ``personal`` says;
- anything else: AES-256-GCM, unless the policy marks the item ``personal: false`` (stored as is).

:func:`storage_kind` decides; :class:`ItemPlan` is that decision and everything else the vault's hot paths need of
one item (its format rule, its part of the associated data), worked out once per vault.
"""

from __future__ import annotations

from jikimi.policy.model import Item, ItemCategory, ItemFormat
from jikimi.vault.cipher import ad_item, ad_tail
from jikimi.vault.ports import FieldKind
from jikimi.vault.validation import format_rule

__all__ = ["LIVE", "ItemPlan", "storage_kind"]

#: The bucket of data in use; other buckets are retention rules' keys (see :mod:`jikimi.vault.vault`).
LIVE = "live"
_LIVE_TAIL = ad_tail(LIVE, 1)  # a new data key is version 1

# R-SEC-14..16: these are protected whatever the policy says about `personal`.
_ALWAYS_PROTECTED = frozenset(
    {
        ItemCategory.UNIQUE_IDENTIFIER,
        ItemCategory.PASSWORD,
        ItemCategory.BIOMETRIC,
        ItemCategory.PAYMENT,
        ItemCategory.SENSITIVE,  # 민감정보: stricter than the letter of 제7조, never worth the risk
    }
)
_ALWAYS_PROTECTED_FORMATS = frozenset(
    {ItemFormat.RRN, ItemFormat.CARD_NUMBER, ItemFormat.ACCOUNT_NUMBER, ItemFormat.SECRET}
)


def storage_kind(item: Item) -> FieldKind:
    """How ``item`` is stored (see the module doc); exposed so a schema scan can prove R-SEC-15."""
    if item.category is ItemCategory.PASSWORD:
        return FieldKind.PASSWORD
    if item.category in _ALWAYS_PROTECTED or item.format in _ALWAYS_PROTECTED_FORMATS:
        return FieldKind.ENCRYPTED
    return FieldKind.ENCRYPTED if item.personal else FieldKind.PLAIN


class ItemPlan:
    """How one declared item is stored, worked out once per vault."""

    __slots__ = ("ad", "ad_live", "code", "encrypted", "indexed", "item", "kind", "max_length", "password", "rule")

    def __init__(self, name: str, item: Item) -> None:
        self.item = item
        self.kind = storage_kind(item)
        self.code = int(self.kind)
        self.password = self.kind is FieldKind.PASSWORD
        self.encrypted = self.kind is not FieldKind.PLAIN
        self.indexed = item.searchable and self.kind is not FieldKind.PASSWORD
        self.ad = ad_item(name)
        self.ad_live = self.ad + _LIVE_TAIL  # the item and tail parts of its live fields' AD under a new key
        self.max_length = item.max_length
        self.rule = format_rule(item)
