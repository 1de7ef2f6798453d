"""The JSON Schema of the policy format, generated from the models (``jikimi policy schema``).

The generated file ships as ``policy.schema.json`` for editors; a test fails when it drifts from the models.
"""

from __future__ import annotations

import json

from jikimi.policy.model import Policy

__all__ = ["SCHEMA_ID", "policy_json_schema", "policy_json_schema_text"]

SCHEMA_ID = "https://jikimi.dev/schema/policy-1.json"


def policy_json_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of a policy file."""
    schema = Policy.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def policy_json_schema_text() -> str:
    """The schema as the shipped file holds it: sorted keys, two-space indent, Korean kept readable."""
    return json.dumps(policy_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
