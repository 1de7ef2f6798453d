"""YAML -> :class:`~jikimi.policy.model.Policy`, with every problem reported at its line and column.

The flow: read UTF-8 text -> compose YAML nodes (syntax errors stop here) -> build plain data while recording where
each value stands and refusing duplicate keys -> validate shapes with pydantic -> check cross-references
(:mod:`jikimi.policy.checks`). Problems of one stage are all collected before raising one :class:`PolicyError`.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from jikimi.errors import PolicyError, Problem
from jikimi.policy.checks import check_policy
from jikimi.policy.model import Policy

__all__ = ["Located", "load_policy", "load_policy_text", "locate_yaml"]

PathKey = tuple[str | int, ...]


class Located:
    """Plain data built from YAML, with the position of every value, keyed by its path."""

    def __init__(self, data: Any, marks: dict[PathKey, tuple[int, int]], file: str) -> None:
        self.data = data
        self.marks = marks
        self.file = file

    def problem(self, path: PathKey, message: str) -> Problem:
        """A problem at ``path``, or at the nearest enclosing value that exists in the file."""
        probe = path
        while probe not in self.marks and probe:
            probe = probe[:-1]
        line, col = self.marks.get(probe, (1, 1))
        return Problem(self.file, line, col, message)


# Limits that keep a hostile file from exhausting the loader (alias bombs, runaway nesting).
MAX_NODES = 200_000
MAX_DEPTH = 64
_STANDARD_TAG = "tag:yaml.org,2002:"
_SAFE_TAGS = {
    _STANDARD_TAG + kind for kind in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "binary")
}


def locate_yaml(text: str, file: str) -> Located:
    """Parse YAML text into plain data and positions; raise :class:`PolicyError` on any problem.

    Mapping keys are taken as written (``1:`` is the key ``"1"``), so every key is a string and duplicates are
    found whatever their YAML type. Custom tags, recursive aliases, more than ``MAX_NODES`` values and nesting
    deeper than ``MAX_DEPTH`` are refused.
    """
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "invalid YAML"
        raise PolicyError([Problem(file, line, col, f"YAML syntax: {reason}")]) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise PolicyError([Problem(file, line, 1, "YAML syntax: a character that YAML does not allow")]) from None
    except (yaml.YAMLError, RecursionError):
        raise PolicyError([Problem(file, 1, 1, "YAML syntax: the file cannot be parsed")]) from None
    if node is None:
        raise PolicyError([Problem(file, 1, 1, "the file is empty")])
    builder = _Builder(file, loader)
    data = builder.build(node, (), frozenset())
    if builder.problems:
        raise PolicyError(builder.problems)
    return Located(data, builder.marks, file)


def _at(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns composed YAML nodes into plain data, recording positions and collecting problems."""

    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.marks: dict[PathKey, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.count = 0

    def problem(self, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(self.file, *_at(node), message))

    def build(self, node: yaml.Node, path: PathKey, open_nodes: frozenset[int]) -> Any:
        self.marks[path] = _at(node)
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                self.problem(node, f"the file holds more than {MAX_NODES} values (alias expansion?)")
            return None
        if id(node) in open_nodes:
            self.problem(node, "an alias refers to a value that contains it")
            return None
        if len(path) > MAX_DEPTH:
            self.problem(node, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if node.tag not in _SAFE_TAGS:
            self.problem(node, "custom YAML tags are not allowed")
            return None
        inside = open_nodes | {id(node)}
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, inside)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i), inside) for i, child in enumerate(node.value)]
        try:
            return self.loader.construct_object(node)
        except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError):
            kind = node.tag.removeprefix(_STANDARD_TAG)
            self.problem(node, f"not a valid YAML {kind}" if kind != "value" else "not a valid YAML value")
            return None

    def _mapping(self, node: yaml.MappingNode, path: PathKey, inside: frozenset[int]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "a mapping key must be a plain value")
                continue
            key = str(key_node.value)
            if key == "<<" and key_node.tag.endswith(":merge"):
                self.problem(key_node, "merge keys (<<) are not supported; write the keys out")
                continue
            if key in first_seen:
                self.problem(key_node, f"duplicate key '{key}' (first at line {first_seen[key]})")
                continue
            first_seen[key] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*path, key), inside)
            # A key's own position is better than its value's for "unknown key" messages.
            self.marks[(*path, key)] = _at(key_node)
        return result


def load_policy_text(text: str, file: str = "<policy>") -> Policy:
    """Load and check a policy from YAML text; raise :class:`PolicyError` listing every problem."""
    located = locate_yaml(text, file)
    if not isinstance(located.data, dict):
        raise PolicyError([located.problem((), "a policy file is a mapping of sections")])
    try:
        policy = Policy.model_validate(located.data)
    except ValidationError as exc:
        raise PolicyError(_shape_problems(exc, located)) from None
    problems = [located.problem(path, message) for path, message in check_policy(policy)]
    if problems:
        raise PolicyError(problems)
    return policy


def load_policy(path: str | Path) -> Policy:
    """Load and check a policy file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PolicyError([Problem(str(p), 1, 1, f"cannot read the file: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyError([Problem(str(p), line, 1, "the file is not UTF-8 text")]) from None
    return load_policy_text(text, str(p))


def _shape_problems(exc: ValidationError, located: Located) -> list[Problem]:
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = tuple(part for part in err["loc"] if part != "[key]")
        dotted = ".".join(str(part) for part in loc) or "(top)"
        kind = err["type"]
        msg = err["msg"].removeprefix("Value error, ")
        if kind == "missing":
            message = f"{dotted}: missing required field"
        elif kind == "extra_forbidden":
            message = f"{dotted}: unknown key{_suggest(loc)}"
        elif kind == "string_pattern_mismatch" and len(loc) >= 1:
            message = f"{dotted}: {_pattern_help(err.get('ctx', {}).get('pattern', ''))}"
        else:
            message = f"{dotted}: {msg}"
        problems.append(located.problem(loc, message))
    return problems


def _pattern_help(pattern: object) -> str:
    if pattern == r"^[a-z][a-z0-9_]*$":
        return "a key is lowercase ASCII letters, digits and underscores, starting with a letter"
    if isinstance(pattern, str) and "permanent" in pattern:
        return "a period is a number and a unit: 30d, 3m (months) or 5y"
    return f"does not match {pattern}"


def _suggest(loc: tuple[str | int, ...]) -> str:
    """', did you mean 'x'?' for a misspelt field of the model that holds ``loc[-1]``."""
    annotation: Any = Policy
    for part in loc[:-1]:
        annotation = _step(annotation, part)
    model = _model_of(annotation)
    if model is None or not loc:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _step(annotation: Any, part: str | int) -> Any:
    """The annotation of ``annotation[part]``: a model's field, a dict's value, a tuple's element."""
    model = _model_of(annotation)
    origin = get_origin(annotation)
    if origin in (dict, tuple):
        return get_args(annotation)[-1 if origin is dict else 0]
    if model is not None:
        field = model.model_fields.get(str(part))
        return field.annotation if field else None
    for arg in get_args(annotation):  # Optional[X], Annotated[X, ...]
        found = _step(arg, part)
        if found is not None:
            return found
    return None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (dict, tuple):
        return None
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
