"""The shipped JSON Schema is generated from the models and must not drift from them."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from jikimi.policy.schema import policy_json_schema_text

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "jikimi" / "policy" / "policy.schema.json"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"


def test_shipped_schema_matches_the_models() -> None:
    assert SHIPPED.read_text("utf-8") == policy_json_schema_text(), "policy.schema.json is stale: run `make schema`"


def test_schema_names_every_top_level_section() -> None:
    schema = json.loads(policy_json_schema_text())
    assert {"items", "channels", "purposes", "retention", "children"} <= set(schema["required"])
    assert schema["additionalProperties"] is False


def test_examples_use_only_keys_the_schema_knows() -> None:
    known = set(json.loads(policy_json_schema_text())["properties"])
    for path in sorted(EXAMPLES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        assert set(data) <= known, path.name
