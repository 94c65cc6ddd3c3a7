"""Import direction: every module of `auditor` imports only its own layer or lower ones, and no circles.

Layers, top to bottom (LAYERS below; a module belongs to the layer of its longest listed prefix):

    fronts       auditor.cli, auditor.web                  what users run: commands, the web app
    session      auditor.session                           the one audit session every front calls
    cores        auditor.audit, .claims, .denials, .report, .history, .inspection, .pairing, .problems
    engine       auditor.engine                            edits, check kinds, findings
    readers      auditor.ingest, auditor.codeset           reading files; HCPCS and ICD-10-CM code sets
    base         auditor.errors, .resources, .version, .derived_cache, .scratch, .lean_dataclass, and the package
                 root's metadata

Every import counts, at module level or inside a function: a lazy import still ties the two modules
together, it only hides the tie until run time. Modules of one layer may import each other, but no set of
modules may import each other in a circle. The package root (`auditor/__init__.py`) is the public surface
for Python users: its own re-exports may come from any layer (they are still part of the circle check),
while modules inside the package import nothing from it but its metadata.

How it was checked to fail (from the repository root; each planted line removed afterwards):

    $ echo 'import auditor.audit' >> auditor/engine/lists.py
    $ python -m pytest tests/test_import_layers.py -q -p no:cacheprovider
    FAILED ...::test_no_module_imports_a_higher_layer - AssertionError: ... import(s) point up a layer:
        auditor/engine/lists.py:127: auditor.engine.lists (engine) imports auditor.audit (cores)
    FAILED ...::test_no_import_cycles - AssertionError: modules import each other in a circle:
        19 modules: auditor.audit, auditor.engine, ..., auditor.engine.runner; for example
            auditor.audit -> auditor.engine.lists (auditor/audit.py:18) -> auditor.audit (auditor/engine/lists.py:127)

    $ printf 'def _later():\n    from auditor.report import excel\n' >> auditor/report/workbook.py
    $ python -m pytest tests/test_import_layers.py -q -p no:cacheprovider
    FAILED ...::test_no_import_cycles - AssertionError: modules import each other in a circle:
        3 modules: auditor.report.excel, auditor.report.excel_history, auditor.report.workbook; for example
            auditor.report.excel -> auditor.report.workbook (auditor/report/excel.py:16) -> auditor.report.excel
            (auditor/report/workbook.py:77)

Run against the package as it was before issue 12 (`git archive` of 559167b), it names what the issue lists:
diagnosis.py -> claims.icd10, engine/examples.py -> audit and claims.pipeline, claims/cli.py and
history/cli.py -> cli, and the circles cli <-> claims.cli, cli <-> history.cli, report.excel <-> excel_history.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = "auditor"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / ROOT
LAYERS = (
    ("fronts", ("auditor.cli", "auditor.web")),
    ("session", ("auditor.session",)),
    (
        "cores",
        (
            "auditor.audit",
            "auditor.claims",
            "auditor.denials",
            "auditor.report",
            "auditor.history",
            "auditor.inspection",
            "auditor.pairing",
            "auditor.problems",
        ),
    ),
    ("engine", ("auditor.engine",)),
    ("readers", ("auditor.ingest", "auditor.codeset")),
    (
        "base",
        (
            "auditor.errors",
            "auditor.resources",
            "auditor.version",
            "auditor.derived_cache",
            "auditor.scratch",
            "auditor.lean_dataclass",
        ),
    ),
)
BASE = len(LAYERS) - 1
METADATA = {"__version__"}  # what modules may import from the package root


@dataclass(frozen=True)
class Import:
    """One import of one package module by another, where it is written."""

    source: str
    target: str
    path: str
    line: int
    names: tuple[str, ...] = ()

    def where(self) -> str:
        """'auditor/engine/lists.py:12'."""
        return f"{self.path}:{self.line}"


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = module_files()


def layer_of(module: str) -> int | None:
    """Index in LAYERS (0 = top) of a module; the root's metadata is base; None when no layer lists it."""
    if module == ROOT:
        return BASE
    best: tuple[int, int] | None = None
    for i, (_name, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and (best is None or len(p) > best[0]):
                best = (len(p), i)
    return best[1] if best else None


def _absolute(node: ast.ImportFrom, module: str) -> str:
    """The module an `from X import ...` names, relative imports resolved against `module`."""
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _ours(name: str) -> bool:
    return name == ROOT or name.startswith(ROOT + ".")


def imports_of(module: str) -> list[Import]:
    """Every import of a package module by `module`, top-level or inside functions, in file order."""
    path = MODULES[module]
    shown = str(path.relative_to(PACKAGE_DIR.parent))
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [Import(module, a.name, shown, node.lineno) for a in node.names if _ours(a.name)]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module)
            if not _ours(base):
                continue
            # `from pkg import sub` imports the submodule; `from pkg import name` imports pkg itself.
            subs = [a.name for a in node.names if f"{base}.{a.name}" in MODULES]
            out += [Import(module, f"{base}.{s}", shown, node.lineno) for s in subs]
            rest = tuple(a.name for a in node.names if a.name not in subs)
            if rest:
                out.append(Import(module, base, shown, node.lineno, rest))
    return sorted(out, key=lambda i: i.line)


ALL_IMPORTS = [i for m in MODULES for i in imports_of(m)]


def test_every_module_is_in_a_layer():
    """A new top-level module or package must be placed in LAYERS before it can be checked."""
    missing = sorted(m for m in MODULES if layer_of(m) is None)
    assert not missing, f"modules in no layer (add them to LAYERS): {', '.join(missing)}"


def upward_imports() -> list[str]:
    """'file:line: source (layer) imports target (layer)' for each import that points up, or into the root."""
    out = []
    for i in ALL_IMPORTS:
        if i.source == ROOT:
            continue  # the public surface re-exports from every layer
        if i.target == ROOT and set(i.names) - METADATA:
            names = ", ".join(sorted(set(i.names) - METADATA))
            out.append(
                f"{i.where()}: {i.source} imports {names} from the package root; import it from its "
                "own module (only the root's metadata is for the package's modules)"
            )
            continue
        src, dst = layer_of(i.source), layer_of(i.target)
        if src is not None and dst is not None and dst < src:
            out.append(f"{i.where()}: {i.source} ({LAYERS[src][0]}) imports {i.target} ({LAYERS[dst][0]})")
    return out


def test_no_module_imports_a_higher_layer():
    """Fronts -> session -> cores -> engine -> readers and code sets -> base; never back up."""
    found = upward_imports()
    assert not found, f"{len(found)} import(s) point up a layer:\n  " + "\n  ".join(found)


def _cycles() -> list[tuple[list[str], list[list[Import]]]]:
    """Each group of modules that import each other in a circle (Tarjan), with its shortest circles."""
    edges: dict[str, dict[str, Import]] = {m: {} for m in MODULES}
    for i in ALL_IMPORTS:
        if i.target in MODULES and i.target != i.source:
            edges[i.source].setdefault(i.target, i)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(m: str) -> None:
        index[m] = low[m] = len(index)
        stack.append(m)
        for t in edges[m]:
            if t not in index:
                visit(t)
                low[m] = min(low[m], low[t])
            elif t in stack:
                low[m] = min(low[m], index[t])
        if low[m] == index[m]:
            group = set()
            while True:
                t = stack.pop()
                group.add(t)
                if t == m:
                    break
            if len(group) > 1:
                groups.append(group)

    for m in sorted(MODULES):
        if m not in index:
            visit(m)
    return [(sorted(g), _covering_circles(g, edges)) for g in sorted(groups, key=sorted)]


def _covering_circles(
    group: set[str], edges: dict[str, dict[str, Import]], most: int = 3
) -> list[list[Import]]:
    """The shortest circles of a group, each through a module the ones before it missed (at most `most`)."""
    out: list[list[Import]] = []
    covered: set[str] = set()
    for circle in sorted((_circle(m, group, edges) for m in group), key=lambda c: (len(c), c[0].source)):
        if len(out) < most and {i.source for i in circle} - covered:
            out.append(circle)
            covered.update(i.source for i in circle)
    return out


def _circle(start: str, group: set[str], edges: dict[str, dict[str, Import]]) -> list[Import]:
    """The shortest path of imports from `start` back to itself inside its group (breadth first)."""
    came: dict[str, Import] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for m in frontier:
            for t, imp in sorted(edges[m].items()):
                if t not in group or t in came:
                    continue
                came[t] = imp
                if t == start:
                    path = [imp]
                    while path[-1].source != start:
                        path.append(came[path[-1].source])
                    return path[::-1]
                nxt.append(t)
        frontier = nxt
    raise AssertionError(f"no circle through {start}")  # a strongly connected group always has one


def test_no_import_cycles():
    """No modules import each other in a circle, directly or through others, in any layer."""
    shown = []
    for members, circles in _cycles():
        shown.append(f"{len(members)} modules: {', '.join(members)}; for example")
        shown += [
            "    " + " -> ".join([c[0].source] + [f"{i.target} ({i.where()})" for i in c]) for c in circles
        ]
    assert not shown, "modules import each other in a circle:\n  " + "\n  ".join(shown)


def test_the_walk_sees_lazy_and_relative_imports():
    """The checker itself: imports inside functions and relative imports are found and resolved."""
    assert any(
        i.source == "auditor.engine.checks" and i.target == "auditor.engine.checks.diagnosis"
        for i in ALL_IMPORTS
    ), "the lazy import of the check kinds was not seen"
    node = ast.parse("from ..lists import CatalogError").body[0]
    assert _absolute(node, "auditor.engine.checks.diagnosis") == "auditor.engine.lists"
    assert layer_of("auditor.cli.audit") == 0 and layer_of("auditor.codeset.icd10") == 4
    assert layer_of(ROOT) == BASE and layer_of("auditor.errors") == BASE
