"""The house rules, checked on the source itself (see DEVELOPERS.md, "Layout").

- no import cycle among toolkit modules (imports inside functions count);
- layering: a module never imports one of a higher layer;
- no module in toolkit/ over 500 lines;
- every click command's body at most 25 lines (the CLI is thin; the work is in the library);
- DEVELOPERS.md names every module of toolkit/;
- each Literal type that pydantic or mypy needs spells out exactly its list in toolkit.choices.

The source is parsed with :mod:`ast`, not imported, so a cycle hidden by imports inside
functions is still found.
"""

from __future__ import annotations

import ast
import itertools
import re
import typing
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "toolkit"

MAX_MODULE_LINES = 500
MAX_COMMAND_LINES = 25

# Lower layers never import higher ones. Each module is placed by the longest dotted prefix
# that names it. Modules on one layer may import each other (without a cycle).
LAYERS: tuple[tuple[str, ...], ...] = (
    # base helpers: the exception root, the lists of choices, wording, writing, progress,
    # bundled files; frames declares the output schemas (polars dtypes, no computation)
    ("toolkit", "toolkit.errors", "toolkit.choices", "toolkit.frames", "toolkit.text",
     "toolkit.output", "toolkit.folders", "toolkit.progress", "toolkit.resources"),
    ("toolkit.manifest",),
    ("toolkit.model",),
    # inputs; testing builds studies in memory through the same validation as io/study
    ("toolkit.io", "toolkit.testing"),
    ("toolkit.stats",),
    ("toolkit.privacy",),
    ("toolkit.analysis",),
    ("toolkit.compare",),
    ("toolkit.report",),
    # used by the command line only
    ("toolkit.cli", "toolkit.__main__", "toolkit.scaffold"),
)  # fmt: skip


@cache
def modules() -> dict[str, Path]:
    """Every module of toolkit/ by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _resolve(target: str) -> str | None:
    """The toolkit module that ``target`` (a module or a name inside one) lives in."""
    known = modules()
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


@cache
def imports() -> dict[str, dict[str, int]]:
    """For each module, the toolkit modules it imports anywhere (with one line that does)."""
    known = modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                module = _resolve(target)
                # A package and its own submodules are one unit (re-exports, relative imports).
                if module is None or module == name:
                    continue
                if name.startswith(module + ".") or module.startswith(name + "."):
                    continue
                edges.setdefault(module, node.lineno)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _path_through(graph: dict[str, dict[str, int]], component: list[str]) -> str:
    """One concrete cycle inside a component, with the line of each import."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node]):
            if nxt == start:
                steps = [*paths[node], start]
                return (
                    " -> ".join(f"{a} (line {graph[a][b]})" for a, b in itertools.pairwise(steps))
                    + f" -> {start}"
                )
            if nxt in members and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return " <-> ".join(component)


def layer_of(module: str) -> int | None:
    """The layer of ``module`` (0 is lowest), or None when no layer names it."""
    best: tuple[int, int] | None = None
    for level, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if prefix == "toolkit" and module != "toolkit":
                    continue
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), level)
    return None if best is None else best[1]


def test_the_parser_sees_imports_inside_functions() -> None:
    # The layering and cycle tests are only as good as the import graph.
    graph = imports()
    assert "toolkit.errors" in graph["toolkit.output"]
    hidden = [
        (name, target)
        for name, path in modules().items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef)
        for inner in ast.walk(node)
        if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("toolkit.")
        for target in [_resolve(inner.module or "")]
        if target and target != name and not target.startswith(name + ".")
        and not name.startswith(target + ".")
    ]  # fmt: skip
    assert hidden, "expected some function-level imports in toolkit/cli"
    for name, target in hidden:
        assert target in graph[name], (name, target)


def test_no_import_cycle() -> None:
    graph = imports()
    problems = [_path_through(graph, component) for component in _cycles(graph)]
    assert not problems, "import cycles (imports inside functions count):\n" + "\n".join(problems)


def test_every_module_has_a_layer() -> None:
    unplaced = [name for name in modules() if layer_of(name) is None]
    assert not unplaced, f"place these modules in LAYERS of tests/test_house.py: {unplaced}"


def test_no_module_imports_a_higher_layer() -> None:
    problems = []
    for name, edges in sorted(imports().items()):
        mine = layer_of(name)
        for target, line in sorted(edges.items()):
            theirs = layer_of(target)
            if mine is not None and theirs is not None and theirs > mine:
                problems.append(
                    f"{modules()[name].relative_to(ROOT)}:{line}: {name} (layer {mine}) "
                    f"imports {target} (layer {theirs})"
                )
    assert not problems, "a lower layer imports a higher one:\n" + "\n".join(problems)


def test_no_module_over_500_lines() -> None:
    long = []
    for path in modules().values():
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > MAX_MODULE_LINES:
            long.append(f"{path.relative_to(ROOT)}: {count} lines")
    assert not long, (
        f"modules over {MAX_MODULE_LINES} lines (one concept per module):\n" + "\n".join(long)
    )


def _is_click_command(decorator: ast.expr) -> bool:
    """``@click.command(...)``, ``@click.group(...)``, ``@cli.command(...)`` and the like."""
    call = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(call, ast.Attribute) and call.attr in {"command", "group"}


def commands() -> list[tuple[Path, ast.FunctionDef]]:
    """Every click command function defined in toolkit/cli/."""
    found = []
    for path in sorted((PACKAGE / "cli").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                _is_click_command(d) for d in node.decorator_list
            ):
                found.append((path, node))
    return found


def body_lines(function: ast.FunctionDef) -> int:
    """Lines of a function's body, without its docstring (which is the command's help)."""
    body = function.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    if not body:
        return 0
    last = body[-1].end_lineno or body[-1].lineno
    return last - body[0].lineno + 1


def test_the_command_finder_finds_the_commands() -> None:
    names = {node.name for _, node in commands()}
    # A sample that exists as long as these commands do; the finder is what is tested here.
    assert len(names) >= 10, names


def test_every_command_is_at_most_25_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.name}: {body_lines(node)} lines"
        for path, node in commands()
        if body_lines(node) > MAX_COMMAND_LINES
    ]
    assert not long, (
        f"click commands over {MAX_COMMAND_LINES} lines (move the work into the library):\n"
        + "\n".join(long)
    )


def _layout_block() -> list[str]:
    """The lines of the code block under DEVELOPERS.md's "## Layout" heading."""
    text = (ROOT / "DEVELOPERS.md").read_text(encoding="utf-8")
    section = re.search(r"^## Layout.*?^```[^\n]*\n(.*?)^```", text, re.M | re.S)
    assert section, "DEVELOPERS.md has no '## Layout' section with a code block"
    return section.group(1).splitlines()


def _folder_block(folders: tuple[str, ...], lines: list[str]) -> tuple[int, int] | None:
    """Where the entries of folder ``a/b/`` start in the layout, and the folder's indent."""
    start, indent = 0, -1
    for folder in folders:
        for number in range(start, len(lines)):
            line = lines[number]
            depth = len(line) - len(line.lstrip())
            if depth <= indent and line.strip():
                return None
            if depth > indent and re.match(rf"\s*{re.escape(folder)}/(\s|$)", line):
                start, indent = number + 1, depth
                break
        else:
            return None
    return start, indent


def _named_in_layout(relative: Path, lines: list[str], whole: str) -> bool:
    """Whether the layout names ``relative`` (toolkit/x/y.py): by full path anywhere in
    DEVELOPERS.md, or as ``y.py`` among the entries of its folder ``x/``."""
    if relative.as_posix() in whole:
        return True
    block = _folder_block(relative.parts[:-1], lines)
    if block is None:
        return False
    start, indent = block
    for line in lines[start:]:
        depth = len(line) - len(line.lstrip())
        if line.strip() and depth <= indent:
            return False
        # Only the names at the start of an entry, not a mention in another's description.
        names = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        if re.search(rf"(^|[\s,/]){re.escape(relative.name)}($|[\s,])", names):
            return True
    return False


def test_developers_md_names_every_module() -> None:
    whole = (ROOT / "DEVELOPERS.md").read_text(encoding="utf-8")
    lines = _layout_block()
    missing = []
    for path in modules().values():
        relative = path.relative_to(ROOT)
        if path.name == "__main__.py":
            continue
        if path.name == "__init__.py":
            # A package is named by its folder (x/ among the entries of toolkit/).
            folder = relative.parent
            if f"{folder.as_posix()}/" not in whole and _folder_block(folder.parts, lines) is None:
                missing.append(f"{folder.as_posix()}/")
            continue
        if not _named_in_layout(relative, lines, whole):
            missing.append(relative.as_posix())
    assert not missing, "DEVELOPERS.md's layout does not name:\n" + "\n".join(sorted(missing))


def _literal_choices() -> list[tuple[str, object, str]]:
    from toolkit import manifest, output
    from toolkit.report import render
    from toolkit.stats import meta

    return [
        ("manifest.CiMethod", manifest.CiMethod, "CI_METHODS"),
        ("manifest.DifferenceMethod", manifest.DifferenceMethod, "DIFFERENCE_METHODS"),
        ("manifest.ReportFormat", manifest.ReportFormat, "REPORT_FORMATS"),
        ("output.Format", output.Format, "OUTPUT_FORMATS"),
        ("stats.meta.MetaMethod", meta.MetaMethod, "POOLING_METHODS"),
        ("report.render.Engine", render.Engine, "ENGINES"),
    ]


@pytest.mark.parametrize("check", range(6))
def test_literal_types_spell_out_the_one_list(check: int) -> None:
    from toolkit import choices

    label, literal, listed = _literal_choices()[check]
    assert typing.get_args(literal) == getattr(choices, listed), (label, listed)


def test_the_lists_of_choices_are_the_ones_used() -> None:
    from toolkit import choices
    from toolkit.report import render
    from toolkit.stats import differences, intervals, meta

    assert intervals.METHODS is choices.CI_METHODS
    assert differences.DIFFERENCE_METHODS is choices.DIFFERENCE_METHODS
    assert meta.META_METHODS is choices.POOLING_METHODS
    assert render.FORMATS is choices.REPORT_FORMATS
    assert render.ENGINES is choices.ENGINES


def test_choices_imports_only_the_standard_library() -> None:
    import sys

    tree = ast.parse((PACKAGE / "choices.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for name in names:
                top = name.partition(".")[0]
                assert top == "__future__" or top in sys.stdlib_module_names, name


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 7}, "d": {"a": 1}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _path_through(graph, ["a", "b", "c"]) == "a (line 3) -> b (line 5) -> c (line 7) -> a"
    assert _cycles({"a": {"b": 1}, "b": {}}) == []


def test_layers_place_by_the_longest_prefix() -> None:
    assert layer_of("toolkit.errors") == 0
    assert layer_of("toolkit.stats.prevalence") == layer_of("toolkit.stats")
    assert layer_of("toolkit.cli.methods") == len(LAYERS) - 1
    assert layer_of("toolkit.unheard_of") is None
