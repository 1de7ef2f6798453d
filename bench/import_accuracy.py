"""``python -m bench.import_accuracy``: precision, recall and F1 of the policy importer per fact key.

Reads the five seed texts and the eight published policies under ``examples/sources/``, extracts their facts, compares
them with the hand-made gold facts in ``tests/gold/<name>.json`` and writes ``docs/import-accuracy.md``. ``--check``
exits 1 when the document on disk is not what the code produces now (``tests/documents/test_import_accuracy.py``
asserts the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from jikimi.documents.accuracy import Tally, accuracy_markdown, score
from jikimi.documents.facts import Facts
from jikimi.documents.importer import extract_facts, read_policy_text

__all__ = ["DOC", "GOLD", "TEXTS", "main", "report"]

ROOT = Path(__file__).resolve().parents[1]
TEXTS = (
    *sorted((ROOT / "examples/sources/seeds").glob("*.txt")),
    *sorted((ROOT / "examples/sources/policies").glob("*.txt")),
)
GOLD = ROOT / "tests" / "gold"
DOC = ROOT / "docs" / "import-accuracy.md"


def results() -> list[tuple[str, dict[str, Tally]]]:
    out = []
    for text in TEXTS:
        gold = Facts.from_json(json.loads((GOLD / f"{text.stem}.json").read_text(encoding="utf-8")))
        out.append((text.stem, score(extract_facts(read_policy_text(text)), gold)))
    return out


def report() -> str:
    """The accuracy document as the code produces it now."""
    return accuracy_markdown(results())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_accuracy", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with docs/import-accuracy.md; write nothing")
    args = parser.parse_args(argv)
    text = report()
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC.relative_to(ROOT)} is out of date: run python -m bench.import_accuracy", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(text.split("## Per text")[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
