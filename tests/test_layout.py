"""The one-way rule: agent -> whatsapp -> accounts. The channel reaches the assistant, and accounts
reaches either, only through functions named in settings (WHATSAPP_REPLY_HANDLER,
WHATSAPP_AGENT_WORK, ACCOUNTS_PERSON_SECTIONS, RETENTION_PURGES), never by an import."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parent.parent
NEVER = {"accounts": ("whatsapp", "agent"), "whatsapp": ("agent",)}


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
                                  "RETENTION_PURGES", "ADMIN_INDEX_CONTEXT"])
def test_every_function_named_in_settings_exists(name):
    value = getattr(settings, name)
    for path in [value] if isinstance(value, str) else value:
        assert callable(import_string(path)), path
