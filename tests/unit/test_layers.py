"""The shape of the house: which package may import which."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import vlcmsim

ROOT = Path(vlcmsim.__file__).parent


def package_imports() -> dict[str, set[str]]:
    """For each top-level module or package of vlcmsim, the others it imports (typing-only imports too)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        here = path.relative_to(ROOT).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "vlcmsim" and len(parts) > 1 and parts[1] != here:
                    edges[here].add(parts[1])
    return edges


def test_vapi_imports_nothing_above_itself() -> None:
    assert package_imports()["vapi"] == set()


def test_handlers_never_reach_the_application() -> None:
    for path in (ROOT / "services").rglob("*.py"):
        text = path.read_text()
        assert "call.app" not in text and ".app." not in text, path


def test_no_import_cycle_between_packages() -> None:
    edges = package_imports()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cyclic = sorted(p for p in edges if reaches(p, p, {p}))
    assert cyclic == []


def test_the_table_of_operations_in_docs_is_up_to_date() -> None:
    import subprocess
    import sys

    tool = Path(__file__).resolve().parents[2] / "tools" / "gen_operations_table.py"
    done = subprocess.run([sys.executable, str(tool), "--check"], timeout=60)
    assert done.returncode == 0, "run tools/gen_operations_table.py"


def test_the_table_of_vim25_methods_in_docs_is_up_to_date() -> None:
    import subprocess
    import sys

    tool = Path(__file__).resolve().parents[2] / "tools" / "gen_vim25_table.py"
    done = subprocess.run([sys.executable, str(tool), "--check"], timeout=60)
    assert done.returncode == 0, "run tools/gen_vim25_table.py"
