"""Files staff edit (knowledge entries, consent texts, criteria): their front matter, their dates,
and the problems found in them, each with its file and line."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def render(self, root: Path | None = None) -> str:
        shown = self.path
        if root is not None:
            with contextlib.suppress(ValueError):
                shown = self.path.relative_to(root.parent)
        return f"{shown}:{self.line}: {self.message}"


@dataclass(frozen=True)
class FrontMatter:
    data: dict[str, Any]
    lines: dict[str, int]  # the file line of each top-level key
    body: str  # everything after the closing '---', as written
    body_line: int


def read_front_matter(path: Path) -> tuple[FrontMatter | None, list[Problem]]:
    """The YAML front matter and the body of a knowledge file, or why they cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(path, 1, f"cannot read the file: {error}")]
    split = _split_front_matter(text)
    if split is None:
        message = "no front matter: the file must start with a '---' line and close it with another"
        return None, [Problem(path, 1, message)]
    header, body, body_line = split
    try:
        node = yaml.compose(header, Loader=_Loader)
        data = yaml.load(header, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as error:
        # Where the broken construct starts (an unclosed bracket), else where it was noticed.
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(error, "problem", None) or str(error)
        return None, [Problem(path, line, f"front matter is not valid YAML: {reason}")]
    if not isinstance(data, dict):
        return None, [Problem(path, 2, "front matter must be a mapping of fields")]
    return FrontMatter(data, _key_lines(node), body, body_line), []


def as_date(value: object) -> dt.date | None:
    """A date from a knowledge file or an answer: a date, or text written YYYY-MM-DD."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad one is reported rather than raised."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _split_front_matter(text: str) -> tuple[str, str, int] | None:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    return None


def _key_lines(node: Any) -> dict[str, int]:
    """The file line of each top-level key (the front matter starts on line 2)."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 2 for key, _ in node.value}


@dataclass(frozen=True)
class YamlMapping:
    """A YAML file that holds a mapping: its data, and its node tree (for line numbers)."""

    data: dict[str, Any]
    node: Any


def read_yaml_mapping(path: Path) -> YamlMapping | Problem:
    """The mapping in `path`, or the problem that stops it being read (with its line)."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as error:
        return Problem(path, 1, f"cannot read the file: {error}")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return Problem(path, line, f"not valid YAML: {getattr(error, 'problem', error)}")
    if not isinstance(data, dict):
        return Problem(path, 1, f"{path.name} must be a mapping")
    return YamlMapping(data, node)
