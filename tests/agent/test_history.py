"""The conversation so far goes to the model: tool calls paired, trimmed to a budget, at a constant cost."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from agent.tokens import message_tokens


def assert_well_paired(messages: list[dict]) -> None:
    """Every tool message answers a call of the assistant message just before its run of tool messages."""
    pending: list[str] = []
    for m in messages:
        if m["role"] == "tool":
            assert m["tool_call_id"] in pending, f"orphan tool message {m['tool_call_id']}"
            pending.remove(m["tool_call_id"])
            continue
        assert not pending, f"unanswered tool calls {pending}"
        if m["role"] == "assistant" and m.get("tool_calls"):
            pending = [c["id"] for c in m["tool_calls"]]
    assert not pending


def conversation_part(request: dict) -> list[dict]:
    """The messages between the system prompt (and the turn's context) and the new user message."""
    return [m for m in request["messages"][:-1] if m["role"] != "system"]


def test_earlier_tool_calls_are_replayed_paired_with_their_results(fake_openai, staff, say):
    fake_openai.call(("record_expense", {"gross": "42.50", "category": "fuel"}),
                     ("record_expense", {"gross": "8", "category": "meals"}))
    fake_openai.reply("Saved #1 and #2.")
    say("42.50 fuel and 8 lunch")
    fake_openai.reply("You're welcome.")
    say("thanks")
    history = conversation_part(fake_openai.chat_requests[2])
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "tool", "assistant"]
    assert history[0]["content"] == "42.50 fuel and 8 lunch"
    first_round = fake_openai.chat_requests[1]["messages"]
    assert history[1]["tool_calls"] == next(m for m in first_round if m.get("tool_calls"))["tool_calls"]
    assert [m["tool_call_id"] for m in history[2:4]] == [c["id"] for c in history[1]["tool_calls"]]
    # Compared as JSON: PostgreSQL's jsonb keeps the keys, not their order.
    assert [json.loads(m["content"]) for m in history[2:4]] == [
        json.loads(m["content"]) for m in first_round if m["role"] == "tool"]
    assert history[4] == {"role": "assistant", "content": "Saved #1 and #2."}
    assert fake_openai.chat_requests[2]["messages"][-1] == {"role": "user", "content": "thanks"}


def test_a_failed_tool_call_is_replayed_with_its_error(fake_openai, staff, say):
    fake_openai.call(("record_expense", {"gross": "abc", "category": "fuel"}))
    fake_openai.reply("What amount?")
    say("fuel")
    say("never mind")
    tool_message = next(m for m in conversation_part(fake_openai.chat_requests[2]) if m["role"] == "tool")
    assert '"ok": false' in tool_message["content"] and "Invalid arguments" in tool_message["content"]


def test_a_long_conversation_is_trimmed_to_the_budget_dropping_the_oldest(fake_openai, staff, say, settings):
    settings.AGENT_HISTORY_TOKENS = 400
    for n in range(12):
        fake_openai.call(("list_expenses", {"text": f"turn {n}"}))
        fake_openai.reply(f"Answer {n}.")
        say(f"question {n}")
    say("last question")
    history = conversation_part(fake_openai.chat_requests[-1])
    size = sum(message_tokens(m) for m in history)
    assert 0 < size <= 400
    assert history[0]["role"] == "user"
    assert history[-1] == {"role": "assistant", "content": "Answer 11."}
    assert "question 0" not in [m.get("content") for m in history]
    assert_well_paired(history)


def test_trimming_never_leaves_an_orphan_tool_message_at_any_budget(fake_openai, staff, say, settings):
    for n in range(4):
        fake_openai.call(("list_expenses", {"text": f"t{n}"}), ("list_revenue", {"text": f"t{n}"}))
        fake_openai.reply(f"Answer {n}.")
        say(f"question {n}")
    for budget in (15, 80, 180, 300, 600, 100000):
        settings.AGENT_HISTORY_TOKENS = budget
        say("again")
        history = conversation_part(fake_openai.chat_requests[-1])
        assert_well_paired(history)
        assert not history or history[0]["role"] == "user"


def test_db_queries_per_turn_do_not_grow_with_the_conversation(fake_openai, staff, say):
    def one_turn() -> int:
        fake_openai.call(("list_expenses", {}), ("record_expense", {"gross": "1", "category": "other"}))
        fake_openai.reply("Done.")
        with CaptureQueriesContext(connection) as queries:
            say("one more")
        return len(queries.captured_queries)

    one_turn()  # the first turn creates the conversation
    short = one_turn()
    for _ in range(30):
        one_turn()
    long = one_turn()
    assert long == short


def test_a_long_answer_sent_in_parts_is_replayed_once_as_the_model_wrote_it(fake_openai, staff, say, settings):
    # Over WhatsApp's 4,096 characters: more than the default budgets let an answer be (or be replayed).
    settings.AGENT_MAX_PROMPT_TOKENS, settings.AGENT_HISTORY_TOKENS = 5000, 2000
    written = "**Your notes** say ⟦see you Monday⟧. " + "All of it is booked. " * 250
    fake_openai.reply(written)
    say("what do my notes say?")
    say("thanks")
    assistant = [m for m in conversation_part(fake_openai.chat_requests[-1]) if m["role"] == "assistant"]
    assert assistant == [{"role": "assistant", "content": written}]
