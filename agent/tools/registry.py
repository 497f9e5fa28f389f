"""The tool layer: what the model may call, for whom, with validated arguments.

Every tool declares the roles it is offered to and is checked again when it runs; the services
and selectors it calls enforce permissions in their querysets as well. Invalid arguments and
refused actions come back as the tool's result, so the model can correct itself.

A tool registered with `asks` (deleting, marking paid, reviewing, changing an expense) never runs
on the model's call: the call only checks that it is allowed now and records the question, which
goes to the person with Yes/No buttons (agent.confirmations). Its handler runs when code passes
`person_confirmed=True`, which only agent.confirmations does, on the person's own answer. No
argument the model can send changes that.
"""

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Callable

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import serializers

from agent.errors import ApplicationError
from agent.tools.schema import schema_for

logger = logging.getLogger(__name__)

STAFF = frozenset({"staff", "manager"})
MANAGERS = frozenset({"manager"})
CUSTOMERS = frozenset({"customer"})


@dataclass(frozen=True)
class Asked:
    """A question a tool call raised this turn: its tool, its validated arguments (as JSON), the question."""

    tool: str
    arguments: dict
    question: str


@dataclass
class ToolContext:
    user: object
    conversation: object
    message: object  # the inbound message of this turn
    today: date
    # What the tools asked the person during this turn (one question at a time).
    questions: list[Asked] = field(default_factory=list)


@dataclass
class Tool:
    name: str
    roles: frozenset
    serializer: type[serializers.Serializer]
    handler: Callable[[ToolContext, dict], dict]
    # For tools that need the person's Yes: checks the action is allowed now and returns the question.
    asks: Callable[[ToolContext, dict], str] | None = None

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


def tool(name: str, *, roles: frozenset, serializer: type[serializers.Serializer],
         asks: Callable[[ToolContext, dict], str] | None = None):
    """Register a handler; its docstring is what the model reads. With `asks`, the handler runs
    only once the person said yes (see the module's docstring)."""
    def register(handler):
        REGISTRY[name] = Tool(name=name, roles=roles, serializer=serializer, handler=handler, asks=asks)
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


def execute(ctx: ToolContext, name: str, arguments, *, person_confirmed: bool = False) -> ToolOutcome:
    """Run one tool call for ctx.user. Never raises: every failure becomes an error result.

    A tool that asks first only asks, unless `person_confirmed` (set by agent.confirmations alone,
    when the person answered yes to exactly this call).
    """
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
        if found.asks is not None and not person_confirmed:
            return done({"ok": True, **_ask(ctx, found, dict(serializer.validated_data))})
        result = found.handler(ctx, dict(serializer.validated_data))
    except ApplicationError as exc:
        return done({}, str(exc))
    except Exception:
        logger.exception("Tool %s failed", name)
        return done({}, "An internal error stopped this action: nothing was changed.")
    return done({"ok": True, **result})


def _ask(ctx: ToolContext, found: Tool, args: dict) -> dict:
    """Check the action is allowed now and record its question; nothing is changed."""
    question = found.asks(ctx, dict(args))
    asked = Asked(tool=found.name, arguments=json.loads(json.dumps(args, cls=DjangoJSONEncoder)), question=question)
    # One message carries one pair of buttons: a second question in the same turn would lose the first.
    other = next((q for q in ctx.questions if q != asked), None)
    if other is not None:
        raise ApplicationError(f"Nothing was changed. Only one question at a time: the person is already asked "
                               f"{other.question!r}. Ask about this one after they answer.")
    if asked not in ctx.questions:
        ctx.questions.append(asked)
    return {
        "confirmation_required": True,
        "question": question,
        "instructions": "Nothing was changed. The person is asked this question with Yes/No buttons under your "
                        "message; it is done only if they answer yes. You cannot answer for them.",
    }
