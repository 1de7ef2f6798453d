"""Measure the importer: precision, recall and F1 per fact key, extracted facts against hand-made gold facts.

Contract: :func:`score` compares one text's extracted :class:`Facts` with its gold and returns a :class:`Tally` per
key; :func:`accuracy_markdown` sums tallies over texts into the report ``docs/import-accuracy.md``. Matching:
scalar facts (date, officer name, phone, e-mail) must be equal; a retention row matches a gold row with the same
period whose record is the same words (ignoring spaces and punctuation), one contains the other, or they are 75 %
alike (``retention.exact``: the same words); trustees and recipients match by name (ignoring spaces, punctuation
and ㈜/(주)/주식회사; recipients once per distinct name), ``trustees.task`` by name and task; items by equal words.
Each gold row is matched at most once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TypeVar

from jikimi.documents.facts import Facts

__all__ = ["KEYS", "Tally", "accuracy_markdown", "score"]

KEYS = (
    "effective_date",
    "officer.name",
    "officer.phone",
    "officer.email",
    "retention",
    "retention.exact",
    "trustees",
    "trustees.task",
    "recipients",
    "items.required",
    "items.optional",
)

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z가-힣]", "", text.lower())


def _name(text: str) -> str:
    return _norm(re.sub(r"㈜|\(주\)|주식회사", "", text))


def _alike(a: str, b: str) -> bool:
    x, y = _norm(a), _norm(b)
    if x == y:
        return True
    if min(len(x), len(y)) >= 4 and (x in y or y in x):
        return True
    return SequenceMatcher(None, x, y).ratio() >= 0.75


def _scalar(pred: str | None, gold: str | None) -> Tally:
    hit = pred is not None and pred == gold
    return Tally(int(hit), int(pred is not None and not hit), int(gold is not None and not hit))


def _match(pred: Sequence[_T], gold: Sequence[_T], same: Callable[[_T, _T], bool]) -> Tally:
    left = list(gold)
    tp = 0
    for p in pred:
        for i, g in enumerate(left):
            if same(p, g):
                tp += 1
                del left[i]
                break
    return Tally(tp, len(pred) - tp, len(gold) - tp)


def _distinct(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(_name(n) for n in names))


def score(pred: Facts, gold: Facts) -> dict[str, Tally]:
    """One text's tallies, by key of :data:`KEYS`."""
    return {
        "effective_date": _scalar(pred.effective_date, gold.effective_date),
        "officer.name": _scalar(pred.officer.name, gold.officer.name),
        "officer.phone": _scalar(pred.officer.phone, gold.officer.phone),
        "officer.email": _scalar(pred.officer.email, gold.officer.email),
        "retention": _match(
            pred.retention, gold.retention, lambda p, g: p.period == g.period and _alike(p.record, g.record)
        ),
        "retention.exact": _match(
            pred.retention, gold.retention, lambda p, g: p.period == g.period and _norm(p.record) == _norm(g.record)
        ),
        "trustees": _match(
            _distinct(t.name for t in pred.trustees), _distinct(t.name for t in gold.trustees), str.__eq__
        ),
        "trustees.task": _match(
            [(_name(t.name), _norm(t.task or "")) for t in pred.trustees],
            [(_name(t.name), _norm(t.task or "")) for t in gold.trustees],
            tuple.__eq__,
        ),
        "recipients": _match(
            _distinct(r.name for r in pred.recipients), _distinct(r.name for r in gold.recipients), str.__eq__
        ),
        "items.required": _match(_distinct(pred.items.required), _distinct(gold.items.required), str.__eq__),
        "items.optional": _match(_distinct(pred.items.optional), _distinct(gold.items.optional), str.__eq__),
    }


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def accuracy_markdown(results: Sequence[tuple[str, dict[str, Tally]]]) -> str:
    """The report: a table over all texts, then the misses per text."""
    total = {k: sum((r[k] for _, r in results), Tally()) for k in KEYS}
    out = [
        "# Import accuracy",
        "",
        "Generated; do not edit. How well `jikimi policy facts` reads the five seed texts",
        "(`examples/sources/seeds/`) and the eight published policies (`examples/sources/policies/`), measured",
        "against facts written by hand from the texts (`tests/gold/<name>.json`). Regenerate from the repository",
        "root with:",
        "",
        "```sh",
        "python -m bench.import_accuracy",
        "```",
        "",
        "Matching rules are in the docstring of `jikimi.documents.accuracy`: dates and officer contacts must be",
        "equal; a retention row needs the same ISO-8601 period and a record in the same words (or one containing",
        "the other, or 75 % alike; `retention.exact`: the same words); trustees and recipients match by name,",
        "`trustees.task` by name and task. What the gold counts as a fact: `tests/gold/README.md`.",
        "",
        "The rules were written while reading these same thirteen texts, so these figures measure coverage of the",
        "styles seen here, not accuracy on unseen policies: there is no held-out set yet. The round trip",
        "(`tests/documents/test_import_roundtrip.py`) checks the importer on the five rendered example policies.",
        "",
        "To read the facts of a policy text, or draft a policy YAML from it (the report lists what was not placed):",
        "",
        "```sh",
        "jikimi policy facts examples/sources/policies/05_naver.txt --json",
        "jikimi policy import examples/sources/policies/05_naver.txt -o draft.yaml",
        "jikimi policy validate draft.yaml",
        "```",
        "",
        "## All texts",
        "",
        "| key | gold | found | correct | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for k in KEYS:
        t = total[k]
        out.append(
            f"| {k} | {t.tp + t.fn} | {t.tp + t.fp} | {t.tp} | {_pct(t.precision)} | {_pct(t.recall)} | {_pct(t.f1)} |"
        )
    out += ["", "## Per text (correct / gold / found)", ""]
    out.append("| text | " + " | ".join(KEYS) + " |")
    out.append("|---|" + "---:|" * len(KEYS))
    for name, r in results:
        cells = " | ".join(f"{r[k].tp}/{r[k].tp + r[k].fn}/{r[k].tp + r[k].fp}" for k in KEYS)
        out.append(f"| {name} | {cells} |")
    out.append("")
    return "\n".join(out)
