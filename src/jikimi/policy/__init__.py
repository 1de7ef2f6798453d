"""Policy-as-code: a service's 개인정보 처리방침 as a YAML file, loaded into typed, immutable models.

Flow: ``load_policy(path)`` reads YAML with positions -> pydantic validates shapes (:mod:`.model`) -> cross-references
and statute keys are checked (:mod:`.checks`, :mod:`.statutes`) -> a :class:`Policy`. Any problem raises one
:class:`~jikimi.errors.PolicyError` listing every problem as ``FILE:LINE:COLUMN: message``.
"""

from jikimi.policy.loader import load_policy, load_policy_text
from jikimi.policy.model import (
    ItemCategory,
    Policy,
    RetentionRule,
)
from jikimi.policy.schema import policy_json_schema
from jikimi.policy.statutes import Statute, statute, statutes

__all__ = [
    "ItemCategory",
    "Policy",
    "RetentionRule",
    "Statute",
    "load_policy",
    "load_policy_text",
    "policy_json_schema",
    "statute",
    "statutes",
]
