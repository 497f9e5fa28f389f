"""Token budgets that cannot work show up in `manage.py check`, not as a model that never calls a tool."""

from django.conf import settings
from django.core.checks import Warning, register

# The context message (the day, a long name) and the framing of the person's message.
CONTEXT_TOKENS = 60


@register()
def agent_budget(app_configs, **kwargs):
    from accounts.models import User
    from agent.budget import specs_for
    from agent.photos import photo_request_tokens
    from agent.prompt import system_prompt
    from agent.tokens import image_tokens, request_tokens

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
    photo = photo_request_tokens()
    if photo > cap:
        problems.append(Warning(
            f"Reading a photo with {settings.OPENAI_MODEL} needs {photo} prompt tokens (the photo alone "
            f"{image_tokens()} at AGENT_IMAGE_DETAIL={settings.AGENT_IMAGE_DETAIL}), over AGENT_MAX_PROMPT_TOKENS "
            f"({cap}): photos will not be read, and people are asked what they show.",
            hint="Choose a model that bills less for an image (gpt-4o: 85 tokens at detail low), AGENT_IMAGE_DETAIL="
                 "low, or raise AGENT_MAX_PROMPT_TOKENS.", id="agent.W003"))
    return problems
