"""Registries of policy kinds: adding a policy is one small class and one decorator."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

P = TypeVar("P", bound=type[BaseModel])


class Registry:
    """Policy classes by their `kind` name, in registration order."""

    def __init__(self, family: str):
        self.family = family
        self.kinds: dict[str, type[BaseModel]] = {}

    def register(self, kind: str) -> Callable[[P], P]:
        def add(cls: P) -> P:
            if kind in self.kinds:
                raise ValueError(f"{self.family} policy kind '{kind}' registered twice")
            self.kinds[kind] = cls
            return cls

        return add

    def describe(self) -> list[tuple[str, str]]:
        """(kind, first line of its docstring) for `simchain policies`."""
        return [
            (kind, (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "")
            for kind, cls in self.kinds.items()
        ]


stocking = Registry("stocking")
routing = Registry("routing")
sourcing = Registry("sourcing")
carriers = Registry("carrier choice")
