"""jikimi (지키미, "the keeper"): process personal information exactly as a Korean privacy policy promises.

The public API is re-exported here; everything else is internal and may change.
"""

from jikimi.errors import JikimiError, PolicyError, Problem, StatuteError
from jikimi.policy import Policy, load_policy, load_policy_text, policy_json_schema

__all__ = [
    "JikimiError",
    "Policy",
    "PolicyError",
    "Problem",
    "StatuteError",
    "load_policy",
    "load_policy_text",
    "policy_json_schema",
]

__version__ = "0.1.0"
