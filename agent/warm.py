"""No cold start: a worker loads what a turn needs when it starts, not on the first message.

Without it the first turn of each worker process paid for importing the assistant (the OpenAI
client's types, pypdf, the tools and their serializers), loading the tokenizer, building the tool
schemas and the client: seconds, where a later turn takes some tens of milliseconds.
`worker_init` runs it in the worker's main process, before it forks its pool (the children inherit
it); `worker_process_init` in each pool process, which also opens its own connections (the OpenAI
client's pool, the Graph session, the database: none is shared across a fork). Connected by agent.apps; AGENT_WARM_UP=0 turns it off.
"""

import logging
import time

from django.conf import settings

logger = logging.getLogger(__name__)

# An answer as the model sends one: a tool call, then the usage with its cached tokens.
ANSWER = {
    "id": "warm", "object": "chat.completion", "created": 0, "model": "warm",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None,
        "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": "list_expenses", "arguments": "{}"}}],
    }}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2, "prompt_tokens_details": {"cached_tokens": 0}},
}


def warm_up(*, client: bool = True) -> float:
    """Load everything a turn uses; returns the seconds it took. Idempotent, cheap the second time."""
    started = time.monotonic()
    from django.utils.module_loading import import_string

    from openai.types.chat import ChatCompletion

    from accounts.models import User
    from whatsapp.models import Message
    from whatsapp.outbound.client import GraphClient
    from agent import tokens
    from agent.budget import specs_for
    from agent.llm import llm_configured, openai_client
    from agent.prompt import system_prompt

    import_string(settings.WHATSAPP_REPLY_HANDLER)  # the assistant and everything it imports
    tokens.tokenizer()
    for role, label in User.Role.choices:
        specs = specs_for(User(role=role, is_active=True))  # builds each tool's schema once
        tokens.tools_tokens(specs)
        tokens.count(system_prompt(role=role, role_label=label))
    # The client reads answers into these models, whose validators pydantic builds on first use.
    ChatCompletion.model_validate(ANSWER)
    if client:  # in the process that answers: its own connections
        if llm_configured():
            openai_client().chat.completions  # noqa: B018  (the client's resources load on first access)
        GraphClient()  # the pooled Graph session
        # The database connection, and the ORM's first compiled query (models' metadata, the compiler).
        Message.objects.filter(pk=0, conversation__user__isnull=False).exists()
    seconds = time.monotonic() - started
    logger.info("Assistant loaded in %.2f s", seconds)
    return seconds


def warm_up_worker(**_signal) -> None:
    if settings.AGENT_WARM_UP:
        warm_up(client=False)


def warm_up_process(**_signal) -> None:
    if settings.AGENT_WARM_UP:
        warm_up()
