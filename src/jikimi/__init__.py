"""jikimi (지키미, "the keeper"): process personal information exactly as a Korean privacy policy promises.

The public API is re-exported here; everything else is internal and may change. The usual start::

    from jikimi import Engine, LocalKeyring, load_policy
    from jikimi.adapters.storage import open_store

    engine = Engine(load_policy("policy.yaml"), open_store("sqlite:///jikimi.db"), LocalKeyring.from_file("jikimi.key"))
"""

from jikimi.clock import Clock, FixedClock, SystemClock
from jikimi.engine import Engine
from jikimi.errors import JikimiError, PolicyError, Problem, StatuteError
from jikimi.policy import Policy, load_policy, load_policy_text, policy_json_schema
from jikimi.vault import LocalKeyring, Vault, mask

__all__ = [
    "Clock",
    "Engine",
    "FixedClock",
    "JikimiError",
    "LocalKeyring",
    "Policy",
    "PolicyError",
    "Problem",
    "StatuteError",
    "SystemClock",
    "Vault",
    "load_policy",
    "load_policy_text",
    "mask",
    "policy_json_schema",
]

__version__ = "0.1.0"
