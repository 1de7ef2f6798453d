"""The public API is explicit (STYLE.md habit 2): each public module declares a true __all__."""

from __future__ import annotations

import importlib
import pkgutil

import jikimi


def public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(jikimi.__path__, "jikimi."):
        if any(part.startswith("_") for part in info.name.split(".")) or ".migrations" in info.name:
            continue
        names.append(info.name)
    return names


def test_every_public_module_declares_all() -> None:
    missing = [name for name in public_modules() if not hasattr(importlib.import_module(name), "__all__")]
    assert missing == []


def test_every_name_in_all_exists() -> None:
    for name in ["jikimi", *public_modules()]:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            assert hasattr(module, attr), f"{name}.__all__ names {attr}, which does not exist"


def test_top_level_exports_the_policy_entry_points() -> None:
    assert {"load_policy", "Policy", "PolicyError", "JikimiError"} <= set(jikimi.__all__)
