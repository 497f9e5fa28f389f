"""The LLM loop: Chat Completions with tools, bounded rounds and tokens, every call recorded."""

import json
import logging
import time

import openai
from django.conf import settings
from django.utils import timezone

from agent import confirmations
from agent.budget import TurnPrompt
from agent.formatting import to_whatsapp
from agent.inputs import UserContent
from agent.llm import LLMUnavailable, openai_client
from agent.models import AgentTurn, ToolCall
from agent.tools import ToolContext, execute
from agent.tools.results import result_text
from agent.tools.serialize import untyped
from whatsapp.replies import Reply

logger = logging.getLogger(__name__)

EMPTY_ANSWER = "Sorry, I couldn't put an answer together. Could you say it another way?"
PARTLY_DONE = ("I did this: {done}. Then I lost my connection before I could answer properly; "
               "please check with /expenses or /invoices before repeating anything.")
CHANGING_TOOLS = {"record_expense", "update_expense", "delete_expense", "record_revenue", "add_customer",
                  "create_invoice", "mark_invoice_paid", "review_expense"}


def _what_changed(name: str, result: dict) -> list[str]:
    if name not in CHANGING_TOOLS or result.get("confirmation_required"):
        return []
    record = result.get("saved") or result.get("reviewed") or {}
    label = record.get("number") or (f"#{record['id']}" if record.get("id") else "")
    if result.get("deleted"):
        label = f"#{result['deleted']}"
    return [f"{name.replace('_', ' ')} {label}".strip()]


def run_turn(*, user, conversation, message, content: UserContent) -> Reply:
    """Ask the model, run the tools it calls (several per round allowed), return its answer.

    Every request stays within AGENT_MAX_PROMPT_TOKENS (agent.budget) and asks for at most
    AGENT_MAX_COMPLETION_TOKENS; once the turn has used its AGENT_TURN_PROMPT_TOKENS, or
    AGENT_MAX_TOOL_ROUNDS rounds, the model is asked to answer with what it has.
    Raises LLMUnavailable when the model cannot be reached after the client's retries; the
    failure is recorded on the turn.
    """
    started = time.monotonic()
    client = openai_client()
    ctx = ToolContext(user=user, conversation=conversation, message=message, today=timezone.localdate())
    prompt = TurnPrompt.start(user=user, conversation=conversation, message=message, content=content,
                              today=ctx.today)

    turn = AgentTurn(conversation=conversation, message=message, user=user, model=settings.OPENAI_MODEL)
    final = ""
    done: list[str] = []  # what the tools changed during this turn, for a person-readable summary
    try:
        for round_no in range(1, settings.AGENT_MAX_TOOL_ROUNDS + 2):
            last = round_no > settings.AGENT_MAX_TOOL_ROUNDS or not prompt.room_for_another_round()
            messages = prompt.request(answer_now=last)
            kwargs = {"model": settings.OPENAI_MODEL, "max_completion_tokens": settings.AGENT_MAX_COMPLETION_TOKENS}
            if prompt.specs and last:
                kwargs["tool_choice"] = "none"  # enough tools: answer in words now
            try:
                # messages and tools are already wire-format JSON: sent as extra_body they skip the
                # client's request transform, which walks them with typing introspection on every
                # call and grows with the history (most of a turn's CPU at 40 messages).
                bulk = {"messages": messages, **({"tools": prompt.specs} if prompt.specs else {})}
                response = client.chat.completions.create(messages=[], extra_body=bulk, **kwargs)
            except openai.APIError as exc:
                turn.error = f"{type(exc).__name__}: {exc}"[:2000]
                if done:
                    # Tools already changed records: say so, or the person repeats it (and doubles it).
                    logger.warning("LLM failed after tools ran for message %s: %s", message.pk, exc)
                    return Reply(text=PARTLY_DONE.format(done=", ".join(done)))
                raise LLMUnavailable(turn.error) from exc
            _add_usage(turn, response)
            turn.rounds = round_no
            choice = response.choices[0].message
            calls = list(choice.tool_calls or [])
            if not calls or last:
                final = choice.content or ""
                break
            prompt.add_calls([
                {"id": c.id, "type": "function", "function": {"name": c.function.name,
                                                               "arguments": c.function.arguments or "{}"}}
                for c in calls
            ], content=choice.content)
            records = []
            for call in calls:
                outcome = execute(ctx, call.function.name, call.function.arguments)
                if not outcome.error:
                    done.extend(_what_changed(call.function.name, outcome.result))
                records.append(ToolCall(
                    conversation=conversation, message=message, name=call.function.name[:100],
                    arguments=_arguments_json(call.function.arguments), result=outcome.result if not outcome.error else None,
                    error=outcome.error, duration_ms=outcome.duration_ms, model=settings.OPENAI_MODEL,
                    call_id=call.id, round=round_no,
                ))
                prompt.add_result(call.id, result_text(outcome.result))
            turn.save()
            for record in records:
                record.turn = turn
            ToolCall.objects.bulk_create(records)
    finally:
        turn.duration_ms = int((time.monotonic() - started) * 1000)
        turn.save()

    text = to_whatsapp(untyped(final)) or EMPTY_ANSWER
    # The person reads it without the ⟦ ⟧ markers; the history replays it as written, so text
    # someone typed that the model repeated stays marked as theirs on the next turn.
    return confirmations.attach(Reply(text=text, as_written=final if final.strip() else ""), ctx)


def _arguments_json(raw) -> dict:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"_unparsed": str(raw)[:2000]}
    return value if isinstance(value, dict) else {"_value": value}


def _add_usage(turn: AgentTurn, response) -> None:
    usage = getattr(response, "usage", None)
    if usage is None:
        return
    turn.prompt_tokens = (turn.prompt_tokens or 0) + (usage.prompt_tokens or 0)
    details = getattr(usage, "prompt_tokens_details", None)
    turn.cached_tokens = (turn.cached_tokens or 0) + (getattr(details, "cached_tokens", 0) or 0)
    turn.completion_tokens = (turn.completion_tokens or 0) + (usage.completion_tokens or 0)
    turn.total_tokens = (turn.total_tokens or 0) + (usage.total_tokens or 0)
