"""The package's shape: every module imports only its own layer or those below, with no cycles.

The layers read as the pipeline, from the foundation up. A module may import its own layer and
any layer below it; the built-in skills are plugins and import only the plugin API. Imports
inside functions and under TYPE_CHECKING count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import assistant

PACKAGE = Path(assistant.__file__).parent

LAYERS: list[set[str]] = [
    # the foundation: errors, text folding, the audio format, configuration, systemd, logging,
    # ending tasks
    {"errors", "text", "audio", "config", "service", "logs", "private", "tasks"},
    {"modelstore"},
    # one package per role: its protocol and its backend
    {"wake", "vad", "stt", "tts", "llm"},
    {"engines"},
    {"devices"},
    {"skills"},  # the plugin API: what a skill imports
    {"skill_host"},  # loads skills, runs their tools behind the safety gate
    {"understanding"},
    {"pipeline"},
    # training: its own extra (torch), never at run time; skill_testing: for skills' test suites
    {"live", "evaluation", "training", "skill_testing", "wyoming"},
    {"satellite", "hub"},  # on the live audio and Wyoming: a satellite board, the home's hub
    {"doctor", "cli", "__main__"},  # __main__: `python -m assistant`, the command line
]
PLUGINS = "builtin_skills"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules `name` imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package this module is in
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                imported.add(submodule if submodule in MODULES else base)
    return {module for module in imported if module in MODULES and module != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _top(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def _layer(module: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if _top(module) in layer)


def test_every_package_has_a_layer() -> None:
    tops = {_top(name) for name in MODULES if _top(name)} - {PLUGINS}
    assert tops <= set().union(*LAYERS), sorted(tops - set().union(*LAYERS))


def test_no_module_imports_a_layer_above_it() -> None:
    upward = [
        f"{name} (layer {_layer(name)}) imports {other} (layer {_layer(other)})"
        for name, imported in GRAPH.items()
        if _top(name) not in ("", PLUGINS)
        for other in imported
        if _top(other) != PLUGINS and _layer(other) > _layer(name)
    ]
    assert upward == []


def test_the_built_in_skills_use_the_plugin_api_only() -> None:
    outside = [
        f"{name} imports {other}"
        for name, imported in GRAPH.items()
        if _top(name) == PLUGINS
        for other in imported
        if _top(other) not in ("skills", PLUGINS)
    ]
    assert outside == []


@pytest.mark.parametrize(
    "apart",
    [
        # torch and friends are an extra: `assistant model tune` starts training as a process
        "training",
        # helpers for tests (brokers, simulated devices, speech): the runtime never needs them
        "skill_testing",
    ],
)
def test_nothing_outside_a_package_kept_apart_imports_it(apart: str) -> None:
    importers = [
        f"{name} imports {other}"
        for name, imported in GRAPH.items()
        if _top(name) != apart
        for other in imported
        if _top(other) == apart
    ]
    assert importers == []


def _top_level_imports(path: Path) -> set[str]:
    """The top-level name of every module a file imports absolutely (`numpy`, `assistant`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_pytest_is_not_a_dependency_of_the_package() -> None:
    """Not even of the testing helpers: a skill's suite brings its own pytest, and the
    assistant installed on a board has none."""
    importers = [name for name, path in MODULES.items() if "pytest" in _top_level_imports(path)]
    assert importers == []


def test_no_import_cycles() -> None:
    """Tarjan's strongly connected components: any component of two or more is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for other in GRAPH[name]:
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == name:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in GRAPH:
        if name not in index:
            visit(name)
    assert cycles == []


def test_a_newcomer_finds_no_mixed_file_past_the_house_limit() -> None:
    """One concern per module: nothing in the runtime grows past 400 lines."""
    long = {
        name: lines
        for name, path in MODULES.items()
        if (lines := len(path.read_text().splitlines())) > 400
    }
    assert long == {}
