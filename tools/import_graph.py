"""
The portal's layers as its code imports them: which package imports which, and from where.

    python -m tools.import_graph      # prints the graph the README's Layout section shows

The layers, bottom first: safeguards ← outbox ← pagecache ← priorities ← dialogue ← publicapi ← spp_portal.
A package may import those below it, never one above (tests/test_layers.py fails on an arrow pointing up), and never
inside a function, where an import would only hide a cycle.
"""

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["safeguards", "outbox", "pagecache", "priorities", "dialogue", "publicapi", "spp_portal"]


@dataclass(frozen=True)
class Import:
    source: str  # the importing package
    target: str  # the imported package (one of LAYERS)
    path: Path  # the importing file, relative to ROOT
    line: int
    in_function: bool


def imports() -> list[Import]:
    """Every import, in the runtime packages, of one of those packages (relative imports resolved)."""
    found = []
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node, in_function in _walk(tree):
                for target in _targets(node, package):
                    found.append(Import(package, target, path.relative_to(ROOT), node.lineno, in_function))
    return found


def upward(found: list[Import]) -> list[Import]:
    """Imports of a package above the importer's own layer."""
    return [item for item in found if LAYERS.index(item.target) > LAYERS.index(item.source)]


def edges(found: list[Import]) -> dict[tuple[str, str], int]:
    """(importer, imported) → number of import statements, between different packages."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for item in found:
        if item.source != item.target:
            counts[item.source, item.target] += 1
    return dict(counts)


def _walk(tree: ast.AST):
    """(import node, whether it sits inside a function) for every import in the module."""
    stack = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            stack.append((child, inside))


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        names = [package] if node.level else [node.module or ""]
    else:
        names = [alias.name for alias in node.names]
    return [name.split(".")[0] for name in names if name.split(".")[0] in LAYERS]


def main() -> int:
    found = imports()
    print("Import statements between the portal's packages (python -m tools.import_graph):")
    for (source, target), count in sorted(edges(found).items(), key=lambda e: (LAYERS.index(e[0][0]), e[0][1])):
        print(f"  {source:<11} → {target:<11} {count:>3}")
    wrong = upward(found) + [item for item in found if item.in_function]
    for item in wrong:
        kind = "upward" if item in upward(found) else "inside a function"
        print(f"  {kind}: {item.path}:{item.line} imports {item.target}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
