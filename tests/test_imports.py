"""The import graph of src/: no circle, and no module imports another module's underscored names.

Built from the source with ``ast`` (every import statement, at module level or inside a function),
so a lazy import that only hides a circle from Python's import order is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def modules() -> dict[str, Path]:
    out = {}
    for p in SRC.rglob("*.py"):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def imports(name: str, path: Path, known: set[str]) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every import in ``path`` that resolves inside src/."""
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name in known]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in known:  # from glorot import figures: the submodule
                    out.append((sub, []))
                elif base in known:
                    out.append((base, [a.name]))
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: {t for t, _ in imports(m, p, set(mods))} - {m} for m, p in mods.items()}


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for t in sorted(g.get(n, ())):
            if state.get(t) == 1:
                return stack[stack.index(t):] + [t]
            if t not in state:
                c = visit(t)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def test_the_graph_is_built_from_every_import():
    g = graph()
    assert "glorot.claims.fig02" in g and "glorot.judging" in g["glorot.claims.fig02"]
    assert "glorot.shapeset" in g["glorot.data"]  # a function-level import counts
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]  # the finder finds one
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_src_has_no_import_cycle():
    assert find_cycle(graph()) is None, " -> ".join(find_cycle(graph()))


def test_no_module_imports_another_modules_private_names():
    mods = modules()
    bad = [f"{m} imports {t}.{n}" for m, p in mods.items() for t, names in imports(m, p, set(mods))
           for n in names if n.startswith("_") and not n.startswith("__")]
    assert not bad, bad
