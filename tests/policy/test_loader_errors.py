"""Malformed policies: every problem is reported as FILE:LINE:COLUMN: message, never as a stack trace."""

from __future__ import annotations

from pathlib import Path

import pytest

from jikimi.errors import PolicyError, Problem
from jikimi.policy import load_policy, load_policy_text

MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text("utf-8")


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, "p.yaml")
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def edit(old: str, new: str) -> str:
    assert old in MINIMAL
    return MINIMAL.replace(old, new, 1)


def test_minimal_policy_loads() -> None:
    policy = load_policy_text(MINIMAL, "minimal.yaml")
    assert policy.purposes["membership"].items == ("email", "password")


def test_yaml_syntax_error_points_at_the_line() -> None:
    text = edit("  name: 주식회사 예시", "  name: [주식회사 예시")
    (problem,) = problems_of(text)
    assert problem.file == "p.yaml"
    assert problem.message.startswith("YAML syntax")
    assert problem.line >= line_of(text, "[주식회사 예시")


def test_unknown_key_is_named_with_its_position_and_a_suggestion() -> None:
    text = edit("    searchable: true", "    searchible: true")
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "searchible")
    assert problem.column == 5
    assert "items.email.searchible: unknown key" in problem.message
    assert "did you mean 'searchable'" in problem.message


def test_wrong_type_names_the_field() -> None:
    text = edit("  admitted: false", "  admitted: maybe")
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "admitted: maybe")
    assert problem.message.startswith("children.admitted:")
    assert "bool" in problem.message


def test_wrong_enum_value_lists_the_allowed_ones() -> None:
    text = edit("    category: password", "    category: secret_stuff")
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "secret_stuff")
    assert "items.password.category" in problem.message
    assert "'unique_identifier'" in problem.message


def test_missing_required_field_points_at_its_parent() -> None:
    text = edit("    label: 회원 관리\n", "")
    (problem,) = problems_of(text)
    assert problem.message == "purposes.membership.label: missing required field"
    assert problem.line == line_of(text, "  membership:")


def test_item_used_by_no_purpose() -> None:
    text = edit("items:\n", "items:\n  nickname:\n    label: 별명\n")
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "  nickname:")
    assert "item 'nickname' is used by no purpose" in problem.message


def test_purpose_using_an_undeclared_item() -> None:
    text = edit("    items: [email, password]\n", "    items: [email, password, phone]\n")
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "items: [email, password, phone]")
    assert "purposes.membership.items: item 'phone' is not declared" in problem.message


def test_retention_rule_without_a_basis() -> None:
    text = edit("    basis: {purpose: membership}\n", "")
    (problem,) = problems_of(text)
    assert problem.message == "retention.0.basis: missing required field"
    assert problem.line == line_of(text, "  - key: membership")


def test_retention_basis_must_be_exactly_one_kind() -> None:
    text = edit("{purpose: membership}", "{purpose: membership, internal: 내부 방침}")
    (problem,) = problems_of(text)
    assert "exactly one of statute, law, internal, consent or purpose" in problem.message


def test_statute_key_that_does_not_exist() -> None:
    text = edit("{purpose: membership}", "{statute: ecommerce.contract_recrods}")
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "contract_recrods")
    assert "statute 'ecommerce.contract_recrods' is not in the statutory catalogue" in (problem.message)
    assert "did you mean 'ecommerce.contract_records'" in problem.message


def test_statute_basis_supplies_the_period() -> None:
    text = edit("    period: 0d\n", "").replace("{purpose: membership}", "{statute: ecommerce.contract_records}")
    policy = load_policy_text(text, "p.yaml")
    assert policy.retention[0].period is None  # the catalogue's 5y applies


def test_retention_without_period_or_statute_is_refused() -> None:
    text = edit("    period: 0d\n", "")
    (problem,) = problems_of(text)
    assert "no period" in problem.message


def test_bad_period_syntax() -> None:
    text = edit("period: 0d", "period: 5 years")
    (problem,) = problems_of(text)
    assert "a period is a number and a unit" in problem.message


def test_children_admitted_without_verification_method() -> None:
    text = edit("  admitted: false", "  admitted: true")
    found = problems_of(text)
    assert all(p.line == line_of(text, "admitted: true") for p in found)
    assert any("verification_methods" in p.message and "R-CHILD-2" in p.message for p in found)


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    text = edit("  email:\n", "  password:\n    label: 중복\n  email:\n")
    (problem,) = problems_of(text)
    first = line_of(text, "  password:")
    assert problem.message == f"duplicate key 'password' (first at line {first})"
    assert problem.line > first


def test_bad_key_syntax() -> None:
    text = edit("  signup:\n", "  Sign-Up:\n")
    (problem,) = problems_of(text)
    assert "lowercase ASCII letters" in problem.message


def test_several_problems_are_all_reported_in_file_order() -> None:
    text = edit("    searchable: true", "    searchible: true").replace("  admitted: false", "  admitted: maybe")
    found = problems_of(text)
    assert [p.line for p in found] == sorted(p.line for p in found)
    assert len(found) == 2


def test_empty_and_non_mapping_files() -> None:
    assert problems_of("")[0].message == "the file is empty"
    assert "mapping of sections" in problems_of("- a\n- b\n")[0].message


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.encode("utf-8") + "note: caf\xe9\n".encode("latin-1"))
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.problems[0].message == "the file is not UTF-8 text"


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "nope.yaml")
    assert "cannot read the file" in str(info.value)


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("x: !foo 1\n", "custom YAML tags are not allowed"),
        ("x: !!python/name:os.system\n", "custom YAML tags are not allowed"),
        ("base: &b {a: 1}\nx:\n  <<: *b\n", "merge keys (<<) are not supported"),
        ("effective_date: 2024-02-30\n", "not a valid YAML timestamp"),
        ("x: !!int abc\n", "not a valid YAML int"),
        ("x: " + "9" * 5000 + "\n", "not a valid YAML int"),
        ("x: a\x07b\n", "a character that YAML does not allow"),
        ("a: &x [*x]\n", "an alias refers to a value that contains it"),
        ("x: " + "[" * 3000 + "]" * 3000 + "\n", "YAML syntax"),
    ],
)
def test_hostile_yaml_is_a_policy_error_not_a_crash(yaml_text: str, message: str) -> None:
    found = problems_of(yaml_text)
    assert any(message in p.message for p in found), [p.message for p in found]


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    found = problems_of("\n".join(lines) + "\n")
    assert any("more than 200000 values" in p.message for p in found)


def test_keys_are_taken_as_written_so_typed_keys_are_found_and_placed() -> None:
    text = MINIMAL + "1: x\n"
    (problem,) = problems_of(text)
    assert problem.line == len(text.splitlines())
    assert "1: unknown key" in problem.message
    assert "duplicate key '1'" in problems_of("'1': a\n1: b\n")[0].message


@pytest.mark.parametrize(("old", "new"), [("format: 1", "format: true"), ("format: 1", "format: 1.0")])
def test_format_version_is_strict(old: str, new: str) -> None:
    assert "format" in problems_of(edit(old, new))[0].message


def test_a_number_is_not_a_date() -> None:
    (problem,) = problems_of(edit("effective_date: 2026-01-01", "effective_date: 0"))
    assert "a date is written YYYY-MM-DD" in problem.message


def test_unknown_locked_purpose_points_at_its_line() -> None:
    text = edit("  admitted: false", "  admitted: false\n  purpose: nope")
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "purpose: nope")
    assert "children.purpose: purpose 'nope' is not declared" in problem.message
