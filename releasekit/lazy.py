"""Lazy package exports (PEP 562): a name is imported from its module on first use.

`check` starts in well under a second because a package's `__init__` does not import its machinery
(jinja2 for cards, huggingface_hub for publish, spdx-tools for SBOMs) until a name is used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `names` maps each exported name to its module's full name."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    return __getattr__


class LazyModule:
    """A stand-in for a module, imported on first attribute use: `scan = lazy.module(...)` at the
    top of a rule module keeps `scan.scan(ctx)` as written while the registry loads the rule
    without its analyser (that loads when the rule runs, or never under `--select weights`)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def module(name: str) -> Any:
    """`name`, imported when one of its attributes is first used (typed Any: it stands for the module)."""
    return LazyModule(name)
