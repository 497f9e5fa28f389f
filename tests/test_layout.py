"""The one-way rule: agent -> whatsapp -> accounts. The channel reaches the assistant, and accounts
reaches either, only through functions named in settings (WHATSAPP_REPLY_HANDLER,
WHATSAPP_AGENT_WORK, ACCOUNTS_PERSON_SECTIONS, RETENTION_PURGES, WHATSAPP_TEMPLATE_DEFINITIONS),
never by an import. And no module of the project imports itself back, through any chain of imports."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parent.parent
NEVER = {"accounts": ("whatsapp", "agent"), "whatsapp": ("agent",)}
APPS = ("accounts", "whatsapp", "agent", "config")


def imported(app: str) -> set[tuple[str, str]]:
    """(file, module) of every import in the app's code (migrations left out)."""
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add((str(path.relative_to(ROOT)), node.module))
    return found


@pytest.mark.parametrize("app", sorted(NEVER))
def test_dependencies_point_one_way(app):
    wrong = sorted((path, module) for path, module in imported(app)
                   if module.split(".")[0] in NEVER[app])
    assert wrong == []


@pytest.mark.parametrize("name", ["WHATSAPP_REPLY_HANDLER", "WHATSAPP_AGENT_WORK", "ACCOUNTS_PERSON_SECTIONS",
                                  "RETENTION_PURGES", "ADMIN_INDEX_CONTEXT", "WHATSAPP_TEMPLATE_DEFINITIONS"])
def test_every_function_named_in_settings_exists(name):
    value = getattr(settings, name)
    for path in [value] if isinstance(value, str) else value:
        assert callable(import_string(path)), path


def module_imports() -> dict[str, set[str]]:
    """Each project module and the project modules it imports, at module level or in a function,
    but a task module imported in a function (a service queueing its task after commit) and a
    package's __init__ importing its own submodules."""
    paths = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                paths[name.removesuffix(".__init__")] = path
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()

        def visit(node, in_function):
            for child in ast.iter_child_nodes(node):
                inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                targets = []
                if isinstance(child, ast.Import):
                    targets = [alias.name for alias in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                        base = ".".join(parts + ([base] if base else []))
                    targets = [f"{base}.{alias.name}" for alias in child.names] + [base]
                for target in targets:
                    while target and target not in paths:
                        target = target.rpartition(".")[0]
                    lazy_task = inner and target.endswith(".tasks")
                    if target and target != name and not lazy_task and not target.startswith(name + "."):
                        found.add(target)
                visit(child, inner)

        visit(ast.parse(path.read_text()), False)
        graph[name] = found
    return graph


def test_no_module_imports_itself_back():
    graph = module_imports()
    assert len(graph) > 100
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def cycle_from(name, path):
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := cycle_from(target, path + [target])):
                return found
        state[name] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            assert cycle_from(name, [name]) is None
