"""The importer against hand-made gold facts: the accuracy report is current; dates and officer contacts are exact."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jikimi.documents.facts import Facts
from jikimi.documents.importer import extract_facts, read_policy_text

ROOT = Path(__file__).parents[2]
TEXTS = sorted((ROOT / "examples/sources").glob("*/*.txt"))
GOLD = ROOT / "tests" / "gold"


def gold(text: Path) -> Facts:
    return Facts.from_json(json.loads((GOLD / f"{text.stem}.json").read_text("utf-8")))


def test_every_text_has_gold_facts() -> None:
    assert len(TEXTS) == 13
    assert sorted(p.stem for p in GOLD.glob("*.json")) == sorted(p.stem for p in TEXTS)


def test_gold_has_the_shape_facts_json_prints() -> None:
    for text in TEXTS:
        data = json.loads((GOLD / f"{text.stem}.json").read_text("utf-8"))
        assert Facts.from_json(data).to_json() == data, text.stem


def test_accuracy_report_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.import_accuracy", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("text", TEXTS, ids=lambda p: p.stem)
def test_dates_and_officer_contacts_are_exact(text: Path) -> None:
    want = gold(text)
    got = extract_facts(read_policy_text(text))
    if want.effective_date:
        assert got.effective_date == want.effective_date
    for field in ("name", "phone", "email"):
        if getattr(want.officer, field):
            assert getattr(got.officer, field) == getattr(want.officer, field), field
