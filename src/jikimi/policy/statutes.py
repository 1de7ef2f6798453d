"""The statutory catalogue: periods and numbers Korean statutes set, each citing its law, article and source.

Policies refer to an entry by key (``basis: {statute: ecommerce.contract_records}``) instead of retyping "5년", so
that a change in the law is one edit here. The data lives in ``statutes.yaml`` beside this module.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter

from jikimi.errors import StatuteError
from jikimi.policy.model import Period

__all__ = ["Statute", "statute", "statutes", "unknown_statute_message"]


class Statute(BaseModel):
    """One entry of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    label: str
    law: str
    article: str
    kind: Literal["retention", "deadline", "threshold"]
    period: Period | None = None
    value: int | None = None
    unit: str | None = None
    source: str
    status: Literal["P", "S", "U"]

    @property
    def citation(self) -> str:
        """「law」 article, as a Korean document cites it."""
        return f"「{self.law}」 {self.article}"


@cache
def statutes() -> Mapping[str, Statute]:
    """Every entry of the shipped catalogue, by key."""
    text = resources.files("jikimi.policy").joinpath("statutes.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    adapter = TypeAdapter(Statute)
    return {key: adapter.validate_python({"key": key, **entry}) for key, entry in raw.items()}


def statute(key: str) -> Statute:
    """The entry for ``key``; :class:`StatuteError` names close keys when it does not exist."""
    table = statutes()
    try:
        return table[key]
    except KeyError:
        raise StatuteError(unknown_statute_message(key)) from None


def unknown_statute_message(key: str) -> str:
    close = difflib.get_close_matches(key, list(statutes()), n=2, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"statute '{key}' is not in the statutory catalogue{hint}"
