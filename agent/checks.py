"""Token budgets that cannot work show up in `manage.py check`, not as a model that never calls a tool."""

from django.conf import settings
from django.core.checks import Warning, register

# The context message (the day, a long name) and the framing of the person's message.
CONTEXT_TOKENS = 60


@register()
def agent_budget(app_configs, **kwargs):
    from accounts.models import User
    from agent.budget import specs_for
    from agent.prompt import system_prompt
    from agent.tokens import request_tokens

    cap, turn = settings.AGENT_MAX_PROMPT_TOKENS, settings.AGENT_TURN_PROMPT_TOKENS
    problems = []
    if turn < 2 * cap:
        problems.append(Warning(
            f"AGENT_TURN_PROMPT_TOKENS ({turn}) is less than twice AGENT_MAX_PROMPT_TOKENS ({cap}): the model can "
            "never call a tool (a round with tools must leave room for a final answer).",
            hint="Raise AGENT_TURN_PROMPT_TOKENS to at least twice the cap.", id="agent.W001"))
    for role, label in User.Role.choices:
        system = {"role": "system", "content": system_prompt(role=role, role_label=label)}
        fixed = request_tokens([system], specs_for(User(role=role, is_active=True)))
        needed = fixed + CONTEXT_TOKENS + settings.AGENT_MESSAGE_TOKENS
        if needed > cap:
            problems.append(Warning(
                f"A {label.lower()}'s request needs up to {needed} prompt tokens (system prompt and tools {fixed}, a "
                f"message up to AGENT_MESSAGE_TOKENS={settings.AGENT_MESSAGE_TOKENS}), over AGENT_MAX_PROMPT_TOKENS "
                f"({cap}).", hint="Raise AGENT_MAX_PROMPT_TOKENS or lower AGENT_MESSAGE_TOKENS.", id="agent.W002"))
    return problems
