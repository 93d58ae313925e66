"""The one error type a user sees for bad input: file, line, field path, expected vs found."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in a scenario: where it is and what is wrong."""

    path: tuple[str | int, ...]
    message: str
    line: int | None = None
    source: str | None = None  # the file the line is in, when not the file being loaded

    def dotted(self) -> str:
        return ".".join(str(p) for p in self.path) if self.path else "(top level)"


class ScenarioError(Exception):
    """Bad user input. The command line prints it and exits with code 2, without a traceback."""

    def __init__(self, source: str, problems: Iterable[Problem]):
        self.source = source
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        lines = []
        for p in self.problems:
            source = p.source or self.source
            where = f"{source}:{p.line}" if p.line is not None else source
            lines.append(f"{where}: {p.dotted()}: {p.message}")
        return "\n".join(lines)


class UsageError(ValueError):
    """A bad command-line option (not a scenario field): one line on stderr, exit code 2."""


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the nearest valid name, or '' when nothing is close."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""
