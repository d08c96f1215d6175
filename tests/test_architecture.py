"""The house rules, read from the code's own imports.

tracking/ is the library and never imports Streamlit; pages/ are thin faces that never talk
to the database or the spreadsheet libraries themselves and use only the library's public names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

# Needs no database: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.first_pass_only

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = sorted((ROOT / "tracking").rglob("*.py"))
FACES = [*sorted((ROOT / "pages").glob("*.py")), ROOT / "dashboard.py", ROOT / "server.py"]
# What a page must leave to the library: the store and the workbook readers and writers.
NOT_IN_PAGES = ("sqlalchemy", "openpyxl", "python_calamine", "calamine")


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names taken, line) of every import in the file, wherever it stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names], node.lineno))
    return found


def private_uses(path: Path) -> list[tuple[str, int]]:
    """Attribute reads like `ru._frame` on a module imported from tracking/."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "tracking":
            modules |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name for alias in node.names if alias.name.startswith("tracking")}
    return [
        (f"{node.value.id}.{node.attr}", node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in modules
        and node.attr.startswith("_")
    ]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_rules_see_every_file():
    # A rule over an empty list cannot fail: the globs must find the modules.
    assert len(LIBRARY) > 20 and any(p.name == "rollup.py" for p in LIBRARY)
    assert any(p.name == "overview.py" for p in FACES) and any(p.name == "dashboard.py" for p in FACES)


@pytest.mark.parametrize("path", LIBRARY, ids=rel)
def test_the_library_never_imports_streamlit(path):
    offending = [(module, line) for module, _, line in imports(path) if module.split(".")[0] == "streamlit"]
    assert not offending, f"{rel(path)} imports Streamlit: {offending}"


@pytest.mark.parametrize("path", FACES, ids=rel)
def test_pages_leave_the_store_and_the_workbooks_to_the_library(path):
    offending = [(module, line) for module, _, line in imports(path) if module.split(".")[0] in NOT_IN_PAGES]
    assert not offending, f"{rel(path)} imports {offending}"


@pytest.mark.parametrize("path", FACES, ids=rel)
def test_pages_use_only_public_names_of_the_library(path):
    taken = [
        (f"{module}.{name}", line)
        for module, names, line in imports(path)
        if module.startswith("tracking")
        for name in names
        if name.startswith("_")
    ]
    assert not taken + private_uses(path), f"{rel(path)} uses private names: {taken + private_uses(path)}"


# Reads and writes go through pages/data.py (one helper each); only that module opens transactions.
@pytest.mark.parametrize("path", [p for p in FACES if p.name != "data.py"], ids=rel)
def test_no_page_builds_its_own_transaction(path):
    taken = [
        (module, line)
        for module, names, line in imports(path)
        if module == "tracking.db" and {"transaction", "make_engine"} & set(names)
    ]
    assert not taken, f"{rel(path)} opens transactions itself: {taken}"


def test_the_import_rules_catch_what_they_forbid(tmp_path):
    # The readers above on a file that breaks every rule: each is seen.
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import streamlit as st\n"
        "from sqlalchemy import select\n"
        "from tracking.rollup import _frame\n"
        "from tracking import rollup as ru\n"
        "def f():\n"
        "    from openpyxl import Workbook\n"
        "    return ru._snapshot\n",
        encoding="utf-8",
    )
    modules = [m for m, _, _ in imports(bad)]
    assert modules == ["streamlit", "sqlalchemy", "tracking.rollup", "tracking", "openpyxl"]
    assert [u for u, _ in private_uses(bad)] == ["ru._snapshot"]


def _aufbau_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Aufbau\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1]


def test_the_readme_aufbau_names_every_module_and_no_other():
    """README «Aufbau» lists the modules of tracking/ and pages/: a new module is listed, a
    removed one is gone (names as they stand in the block: file names, a package as folder/)."""
    block = _aufbau_block()
    named = set(re.findall(r"[\w.]+\.py|[\w]+/", block))
    modules = {p.name for p in LIBRARY + FACES if p.name != "__init__.py"}
    packages = {f"{p.parent.name}/" for p in LIBRARY if p.parent != ROOT / "tracking"}
    assert modules - named == set(), "missing in README «Aufbau»"
    assert packages - named == set(), "packages missing in README «Aufbau»"
    known = modules | packages | {"tracking/", "pages/", "migrations/", "data/", "tests/", "benchmarks/", "docs/"}
    assert named - known == set(), "README «Aufbau» names what the code does not have"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_library_has_no_import_circle():
    """Every module of tracking/ stands above what it imports (also imports inside functions):
    a circle would mean two modules that can only be understood together."""
    names = {_module_name(p): p for p in LIBRARY}
    graph = {
        name: {module for module, _, _ in imports(path) if module in names and module != name}
        for name, path in names.items()
    }
    # A package's face (__init__) hands its modules on; its arrows are not a circle of theirs.
    graph = {n: {m for m in deps if not n.startswith(m + ".")} for n, deps in graph.items()}
    done, path = set(), []

    def visit(node):
        if node in path:
            raise AssertionError("import circle: " + " -> ".join([*path[path.index(node) :], node]))
        if node in done:
            return
        path.append(node)
        for dep in sorted(graph[node]):
            visit(dep)
        path.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)
    assert len(done) == len(names) > 20


# A module of one concept stays readable whole, a function at a glance.
MODULE_LINES, FUNCTION_LINES = 600, 80


@pytest.mark.parametrize("path", LIBRARY + FACES, ids=rel)
def test_modules_and_functions_stay_short(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MODULE_LINES, f"{rel(path)}: {len(text.splitlines())} lines"
    long = [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(text, str(path)))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > FUNCTION_LINES
    ]
    assert not long, f"{rel(path)}: functions over {FUNCTION_LINES} lines: {long}"
