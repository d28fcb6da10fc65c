#!/usr/bin/env python3
"""The imports between the project's packages, and the cycles they make.

A package here is each first-level subpackage or module of `bot` (`bot.channels`,
`bot.gateway`, `bot.trials`, …), `actions` and `rasa_addons`. Imports are read from the source
with `ast` (nothing is imported), in three kinds:

- module: run when the module is imported (top level, class bodies): these make import cycles;
- function: inside a function, run when it is called: a dependency all the same, which a
  cycle of packages only hides;
- typing: under `if TYPE_CHECKING:`, for the type checker alone.

Cycles are the strongly connected components of more than one package, counted twice: over the
module-level imports, and over every import.

    .venv/bin/python scripts/package_imports.py            # readable text
    .venv/bin/python scripts/package_imports.py --detail   # with each import's file and line
    .venv/bin/python scripts/package_imports.py --json

Standard library only (Rich, when importable, only colours the text).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOTS = ("bot", "actions", "rasa_addons")
KINDS = ("module", "function", "typing")


@dataclass(frozen=True)
class Import:
    source: str  # the importing package
    target: str  # the imported package
    kind: str  # module | function | typing
    file: str
    line: int
    module: str  # the module named by the import statement


def packages(root: Path) -> list[str]:
    """`bot` itself, each first-level part of `bot`, then `actions` and `rasa_addons`."""
    found = ["bot"]
    for entry in sorted((root / "bot").iterdir()):
        if entry.is_dir() and (entry / "__init__.py").exists():
            found.append(f"bot.{entry.name}")
        elif entry.suffix == ".py" and entry.name != "__init__.py":
            found.append(f"bot.{entry.stem}")
    return [*found, *(name for name in ROOTS[1:] if (root / name).exists())]


def package_of(module: str, known: set[str]) -> str | None:
    """The package a dotted module name belongs to; None outside the project."""
    parts = module.split(".")
    for size in (2, 1):
        name = ".".join(parts[:size])
        if len(parts) >= size and name in known:
            return name
    return None


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources(root: Path) -> Iterator[Path]:
    for name in ROOTS:
        if (root / name / "__init__.py").exists():
            yield from sorted((root / name).rglob("*.py"))


def imports(root: Path) -> list[Import]:
    """Every import from one project package into another."""
    known = set(packages(root))
    found: list[Import] = []
    for path in sources(root):
        name = module_name(root, path)
        source = package_of(name, known)
        if source is None:
            continue
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text("utf-8"), str(path))
        relative = str(path.relative_to(root))
        for node, kind in _walk(tree, "module"):
            # One statement counts once for each package it reaches, under the first module.
            reached: dict[str, str] = {}
            for target_module in _targets(node, name, is_package):
                target = package_of(target_module, known)
                if target is not None and target != source:
                    reached.setdefault(target, target_module)
            for target, target_module in reached.items():
                found.append(Import(source, target, kind, relative, node.lineno, target_module))
    return found


def _walk(node: ast.AST, kind: str) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    """Each import statement below `node`, with the kind its place gives it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, kind
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _walk(child, "function")
        elif isinstance(child, ast.If) and _type_checking(child.test) and kind == "module":
            for part in child.body:
                yield from _walk(ast.Module(body=[part], type_ignores=[]), "typing")
            for part in child.orelse:
                yield from _walk(ast.Module(body=[part], type_ignores=[]), kind)
        else:
            yield from _walk(child, kind)


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> list[str]:
    """The modules an import statement names: `from a import b` names `a.b` when b may be one."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = importer.split(".")
        if not is_package:
            anchor = anchor[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, *([base] if base else [])])
    return [f"{base}.{alias.name}" if alias.name != "*" else base for alias in node.names]


def cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found, key=lambda component: (-len(component), component))


@dataclass(frozen=True)
class Report:
    packages: list[str]
    imports: list[Import]
    cycles: dict[str, list[list[str]]]  # "module" | "all" -> the packages of each cycle

    def to_json(self) -> dict[str, object]:
        return {
            "packages": self.packages,
            "imports": [asdict(item) for item in self.imports],
            "cycles": self.cycles,
        }


def report(root: Path) -> Report:
    found = imports(root)
    module_edges = {(i.source, i.target) for i in found if i.kind == "module"}
    every_edge = {(i.source, i.target) for i in found}
    return Report(
        packages(root), found, {"module": cycles(module_edges), "all": cycles(every_edge)}
    )


def text(result: Report, *, detail: bool) -> list[str]:
    """The report as lines of text: each package's imports, then the cycles."""
    by_source: dict[str, dict[str, list[Import]]] = defaultdict(lambda: defaultdict(list))
    for item in result.imports:
        by_source[item.source][item.target].append(item)
    lines: list[str] = []
    for package in result.packages:
        targets = by_source.get(package, {})
        lines.append(package + ("" if targets else "  (imports no other package)"))
        for target in sorted(targets):
            items = targets[target]
            counts = ", ".join(
                f"{kind} {n}" for kind in KINDS if (n := sum(i.kind == kind for i in items))
            )
            lines.append(f"  -> {target}  ({counts})")
            if detail:
                for item in sorted(items, key=lambda i: (KINDS.index(i.kind), i.file, i.line)):
                    lines.append(f"       {item.kind:8} {item.file}:{item.line}  {item.module}")
    for kind, title in (("module", "module-level imports"), ("all", "every import")):
        components = result.cycles[kind]
        lines.append("")
        lines.append(f"Cycles over {title}: {len(components)}")
        for component in components:
            lines.append(f"  {len(component)} packages: {', '.join(component)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--detail", action="store_true", help="each import's file and line")
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="the checkout (default: this script's)",
    )
    args = parser.parse_args(argv)
    result = report(args.root.resolve())
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    lines = text(result, detail=args.detail)
    try:
        from rich.console import Console
        from rich.markup import escape
    except ImportError:
        print("\n".join(lines))
        return 0
    console = Console(highlight=False)
    for line in lines:
        style = "bold" if line and not line.startswith(" ") else ""
        style = "bold red" if line.startswith("Cycles") and not line.endswith(": 0") else style
        console.print(escape(line), style=style or None, soft_wrap=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
