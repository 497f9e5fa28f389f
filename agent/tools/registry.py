"""The tool layer: what the model may call, for whom, with validated arguments.

Every tool declares the roles it is offered to and is checked again when it runs; the services
and selectors it calls enforce permissions in their querysets as well. Invalid arguments and
refused actions come back as the tool's result, so the model can correct itself.
"""

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Callable

from rest_framework import serializers

from agent.errors import ApplicationError
from agent.tools.schema import schema_for

logger = logging.getLogger(__name__)

STAFF = frozenset({"staff", "manager"})
MANAGERS = frozenset({"manager"})
CUSTOMERS = frozenset({"customer"})


@dataclass
class ToolContext:
    user: object
    conversation: object
    message: object  # the inbound message of this turn
    today: date
    # Confirmations a tool asked for during this turn: (tool name, record id, question).
    confirmations: list = field(default_factory=list)


@dataclass
class Tool:
    name: str
    roles: frozenset
    serializer: type[serializers.Serializer]
    handler: Callable[[ToolContext, dict], dict]

    @property
    def description(self) -> str:
        return " ".join((self.handler.__doc__ or "").split())

    def spec(self) -> dict:
        return {"type": "function", "function": {
            "name": self.name, "description": self.description, "parameters": self.parameters}}

    @cached_property
    def parameters(self) -> dict:
        """The JSON schema of the arguments: built from the serializer once, it never changes."""
        return schema_for(self.serializer)


@dataclass
class ToolOutcome:
    result: dict
    error: str = ""
    duration_ms: int = 0


REGISTRY: dict[str, Tool] = {}


def tool(name: str, *, roles: frozenset, serializer: type[serializers.Serializer]):
    """Register a handler; its docstring is what the model reads."""
    def register(handler):
        REGISTRY[name] = Tool(name=name, roles=roles, serializer=serializer, handler=handler)
        return handler
    return register


def _role(user) -> str:
    return getattr(user, "role", "") if getattr(user, "is_active", False) else ""


def tools_for(user) -> list[Tool]:
    role = _role(user)
    return [t for t in REGISTRY.values() if role in t.roles]


def _errors_text(errors) -> str:
    if isinstance(errors, dict):
        return "; ".join(f"{k}: {_errors_text(v)}" for k, v in errors.items())
    if isinstance(errors, list):
        return " ".join(_errors_text(e) for e in errors)
    return str(errors)


def execute(ctx: ToolContext, name: str, arguments) -> ToolOutcome:
    """Run one tool call for ctx.user. Never raises: every failure becomes an error result."""
    started = time.monotonic()

    def done(result: dict, error: str = "") -> ToolOutcome:
        if error:
            result = {"ok": False, "error": error}
        return ToolOutcome(result=result, error=error, duration_ms=int((time.monotonic() - started) * 1000))

    found = REGISTRY.get(name)
    if found is None or _role(ctx.user) not in found.roles:
        logger.warning("Refused tool %r for user %s (role %r)", name, getattr(ctx.user, "pk", None), _role(ctx.user))
        return done({}, f"The tool {name!r} is not available to you.")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments or "{}")
        except ValueError:
            return done({}, "The arguments were not valid JSON. Send a JSON object.")
    if not isinstance(arguments, dict):
        return done({}, "The arguments must be a JSON object.")
    serializer = found.serializer(data=arguments)
    if not serializer.is_valid():
        return done({}, "Invalid arguments: " + _errors_text(serializer.errors))
    try:
        result = found.handler(ctx, dict(serializer.validated_data))
    except ApplicationError as exc:
        return done({}, str(exc))
    except Exception:
        logger.exception("Tool %s failed", name)
        return done({}, "An internal error stopped this action: nothing was changed.")
    return done({"ok": True, **result})
