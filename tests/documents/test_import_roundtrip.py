"""Round trip: render each example policy to Markdown, import it back, and get the policy's own facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from jikimi.documents import render_policy
from jikimi.documents.facts import policy_facts
from jikimi.documents.importer import extract_facts, import_policy
from jikimi.policy import load_policy
from jikimi.policy.loader import load_policy_text

EXAMPLES = sorted((Path(__file__).parents[2] / "examples/policies").glob("*.yaml"))
DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("path", [*EXAMPLES, DATA / "full.yaml"], ids=lambda p: p.stem)
def test_rendered_policy_gives_back_its_facts(path: Path) -> None:
    policy = load_policy(path)
    want = policy_facts(policy)
    got = extract_facts(render_policy(policy, "md"))
    assert got.effective_date == want.effective_date
    assert got.officer == want.officer
    assert got.retention == want.retention
    assert got.trustees == want.trustees
    assert [r.name for r in got.recipients] == [r.name for r in want.recipients]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_draft_of_a_rendered_policy_validates(path: Path) -> None:
    draft, _ = import_policy(render_policy(load_policy(path), "md"), path.name)
    imported = load_policy_text(draft, "draft.yaml")
    assert [r.label for r in imported.retention] == [r.label for r in load_policy(path).retention]
