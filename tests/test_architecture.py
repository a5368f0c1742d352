"""The layout is the architecture: every module imports, no module imports itself round a
cycle, each package imports only the packages below it (the table README.md's Layout
section explains), only the estimator imports mediapipe, and only the CLI prints or exits.

The import graph is read from the source (every import statement, also those inside
functions; not those under ``if TYPE_CHECKING:``, which never run). An edge goes to the
module imported: ``from coach.spec import load_spec`` is an edge to ``coach.spec``,
``from coach.measures import registry`` one to ``coach.measures.registry``.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import coach

ROOT = Path(coach.__file__).resolve().parent

# What each part of the package may import (besides itself). Top-level modules are parts of
# their own: "errors", "vocab", "pose", "files", "data", "templates", "i18n", "coach" (the version).
BASE = {"coach", "errors", "vocab", "pose"}
ALLOWED: dict[str, set[str]] = {
    "coach": set(),
    "errors": set(),
    "vocab": set(),
    "pose": set(),
    "files": {"errors"},
    "data": {"errors"},
    "templates": set(),
    "i18n": {"errors", "vocab"},
    "measures": BASE | {"i18n"},
    "spec": BASE | {"data", "i18n", "measures"},
    "vision": BASE | {"data", "files"},
    "engine": BASE | {"i18n", "measures", "spec"},
    "session": BASE | {"files", "i18n", "measures", "spec", "engine"},
    "ui": BASE | {"files", "templates", "i18n", "measures", "spec", "engine", "session"},
    "pipeline": BASE | {"files", "i18n", "measures", "spec", "engine", "session", "ui", "vision"},
    "tools": BASE | {"files", "templates", "i18n", "measures", "spec", "engine", "vision", "pipeline", "synth"},
    "synth": {"coach", "errors"},
    "cli": BASE | {"files", "data", "templates", "i18n", "measures", "spec", "engine", "session", "ui", "vision", "pipeline",
                   "tools", "synth"},
    "__main__": {"cli"},
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, path: Path) -> set[str]:
    """The coach modules ``module`` imports (statically)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "coach")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "coach":
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    out.add(sub if sub in MODULES else target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    out.discard(module)
    return {m for m in out if m in MODULES}


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "coach"


# (the studio needs its heavy extra to import; coach.__main__ runs the CLI: test_cli runs it)
@pytest.mark.parametrize("module", sorted(m for m in MODULES if _part(m) not in ("synth", "__main__")))
def test_every_module_imports(module):
    importlib.import_module(module)


def test_no_import_cycle():
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(GRAPH[m]):
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in state:
                walk(n)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            walk(m)
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_packages_import_only_what_is_below_them():
    wrong = sorted(f"{m} imports {n}" for m, ns in GRAPH.items() for n in ns
                   if _part(n) != _part(m) and _part(n) not in ALLOWED[_part(m)])
    assert wrong == []
    assert set(ALLOWED) >= {_part(m) for m in MODULES}, "a new part of the package: add it to ALLOWED and README"


def _calls(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                names.add(f.id)
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                names.add(f"{f.value.id}.{f.attr}")
    return names


def test_only_the_estimator_imports_mediapipe():
    users = sorted(m for m, p in MODULES.items() if _part(m) != "synth"  # the studio checks its clips with it
                   and "mediapipe" in p.read_text(encoding="utf-8")
                   and any(isinstance(n, (ast.Import, ast.ImportFrom)) and
                           any((getattr(n, "module", None) or a.name).split(".")[0] == "mediapipe" for a in n.names)
                           for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))))
    assert users == ["coach.vision.estimator"]


def test_only_the_cli_prints_and_exits():
    offenders = sorted(
        f"{m}: {name}" for m, p in MODULES.items()
        if _part(m) not in ("cli", "__main__", "synth")  # the studio is its own program (coach synth)
        for name in _calls(p) & {"print", "input", "exit", "quit", "sys.exit", "os._exit"}
    )
    assert offenders == []
