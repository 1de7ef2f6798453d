"""The CLI reference (docs/cli.md), generated from the commands themselves so that it cannot drift."""

from __future__ import annotations

from typing import Any

import typer.main

__all__ = ["cli_reference"]


def cli_reference(app: typer.Typer) -> str:
    """Markdown: every command and group with its help text, arguments and options, in the order they appear."""
    lines = [
        "# CLI reference",
        "",
        "Generated from the commands; do not edit. Regenerate with `make cli-docs`; a test fails when it drifts.",
        "",
    ]
    # Typer ships its own copy of click, so commands are walked by their interface, not by click's classes.
    _walk(typer.main.get_command(app), ["jikimi"], lines)
    return "\n".join(lines).rstrip() + "\n"


def _walk(command: Any, path: list[str], lines: list[str]) -> None:
    if len(path) > 1:
        lines += [f"{'#' * min(len(path), 4)} `{' '.join(path)}`", ""]
        if command.help:
            lines += [" ".join(command.help.strip().split("\n\n")[0].split()), ""]
        params = [p for p in command.params if p.name != "help"]
        lines += [_param_line(p) for p in params]
        if params:
            lines.append("")
    if hasattr(command, "list_commands"):
        context = command.context_class(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is not None and not sub.hidden:
                _walk(sub, [*path, name], lines)


def _param_line(param: Any) -> str:
    if param.param_type_name == "option":
        names = ", ".join(f"`{opt}`" for opt in param.opts)
        help_text = " ".join((param.help or "").split())
        return f"- {names}: {help_text}" if help_text else f"- {names}"
    help_text = " ".join((getattr(param, "help", None) or "").split())
    return f"- `{(param.name or '').upper()}` (argument): {help_text}" if help_text else f"- `{param.name}` (argument)"
