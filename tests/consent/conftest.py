"""Fixtures of the consent domain's tests: the example policies, loaded once, and a fixed time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from jikimi.policy import Policy, load_policy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def examples() -> dict[str, Policy]:
    return {path.stem: load_policy(path) for path in sorted(EXAMPLES.glob("*.yaml"))}
