"""What one message costs: every request within the cap, tool results capped, the turn within its budget."""

import json

from django.utils import timezone

from agent.budget import ANSWER_NOW, DROPPED
from agent.tokens import request_tokens
from tests.agent import factories

MAYA = "972987654321"


def sent_tokens(request: dict) -> int:
    """The prompt tokens of a request the model received, counted as the loop counts them."""
    return request_tokens(request["messages"], request.get("tools"))


def test_every_request_of_a_long_conversation_stays_within_the_cap(fake_openai, staff, say, settings):
    for expense in range(30):
        factories.expense(by=staff, description=f"a long description of expense number {expense} " * 4)
    for n in range(25):
        fake_openai.call(("list_expenses", {"text": f"turn {n}"}), ("list_expenses", {}))
        fake_openai.reply(f"Here are your expenses, part {n}. " * 10)
        say(f"show me everything you have, question {n}")
    sizes = [sent_tokens(r) for r in fake_openai.chat_requests]
    assert max(sizes) <= settings.AGENT_MAX_PROMPT_TOKENS
    assert sizes[-1] > settings.AGENT_MAX_PROMPT_TOKENS // 2  # the history fills the room it is given


def test_the_cap_holds_for_a_manager_and_a_customer_too(fake_openai, staff, manager, say, settings):
    ada = factories.person(role="customer", first_name="Ada", phone="+4915112345678")
    acme = factories.customer(user=ada)
    for _ in range(30):
        factories.invoice(to=acme, by=staff)
        factories.expense(by=staff, description="x " * 150)
    for n in range(8):
        fake_openai.call(("list_expenses", {}))
        fake_openai.reply("Answer " * 60)
        say(f"question {n}", sender=MAYA)
        fake_openai.call(("my_invoices", {}))
        fake_openai.reply("Your invoices " * 60)
        say(f"question {n}", sender="4915112345678")
    assert max(sent_tokens(r) for r in fake_openai.chat_requests) <= settings.AGENT_MAX_PROMPT_TOKENS


def test_the_system_prompt_and_tools_are_the_same_for_everyone_of_a_role_on_every_day(
        fake_openai, staff, say):
    colleague = factories.person(first_name="Tom", phone="+15550104420")
    say("hello")
    say("hello", sender="15550104420")
    first, second = fake_openai.chat_requests
    assert first["messages"][0] == second["messages"][0] and first["tools"] == second["tools"]
    assert "Sheena" in first["messages"][1]["content"] and colleague.first_name in second["messages"][1]["content"]
    assert timezone.localdate().isoformat() not in first["messages"][0]["content"]


def test_every_call_asks_for_a_bounded_answer(fake_openai, staff, say, settings):
    settings.AGENT_MAX_COMPLETION_TOKENS = 321
    fake_openai.call(("list_expenses", {}))
    fake_openai.reply("None.")
    say("my expenses?")
    assert [r["max_completion_tokens"] for r in fake_openai.chat_requests] == [321, 321]


def test_a_long_list_shows_a_page_and_says_how_to_get_the_rest(fake_openai, staff, say, settings):
    settings.AGENT_TOOL_ROWS = 5
    settings.AGENT_TOOL_RESULT_TOKENS = 2000
    for n in range(12):
        factories.expense(by=staff, merchant=f"shop {n}")
    fake_openai.call(("list_expenses", {}))
    fake_openai.call(("list_expenses", {"offset": 5}))
    fake_openai.reply("There are 12.")
    say("all my expenses")
    first, = fake_openai.tool_results(1)
    assert (first["shown"], first["count"]) == (5, 12)
    assert "offset=5" in first["more"]
    second = fake_openai.tool_results(2)[-1]
    assert second["offset"] == 5 and "offset=10" in second["more"]
    assert {e["id"] for e in first["expenses"]}.isdisjoint(e["id"] for e in second["expenses"])


def test_a_result_over_its_token_cap_drops_rows_and_says_so(fake_openai, staff, say, settings):
    settings.AGENT_TOOL_RESULT_TOKENS = 300
    for n in range(10):
        factories.expense(by=staff, description=f"expense {n} " + "words " * 40)
    fake_openai.call(("list_expenses", {}))
    fake_openai.reply("Here.")
    say("all my expenses")
    tool_message = next(m for m in fake_openai.chat_requests[1]["messages"] if m["role"] == "tool")
    assert request_tokens([{"role": "tool", "content": tool_message["content"]}]) <= 300 + 6
    result = json.loads(tool_message["content"])
    assert 0 < result["shown"] < 10 and result["count"] == 10
    assert f"offset={result['shown']}" in result["more"]


def test_a_long_message_is_cut_to_its_budget(fake_openai, staff, say, settings):
    settings.AGENT_MESSAGE_TOKENS = 50
    say("spent 42.50 on fuel " + "and more words " * 400)
    last = fake_openai.chat_requests[0]["messages"][-1]["content"]
    assert last.startswith("spent 42.50 on fuel") and last.endswith("…(cut)")
    assert request_tokens([{"role": "user", "content": last}]) <= 50 + 6  # the message's framing


def test_when_the_turns_budget_is_spent_the_model_must_answer(fake_openai, staff, say, settings):
    settings.AGENT_MAX_PROMPT_TOKENS = 3000
    settings.AGENT_TURN_PROMPT_TOKENS = 8000
    for _ in range(5):
        fake_openai.call(("list_expenses", {}))
    fake_openai.reply("Done looking.")
    say("look at everything")
    requests = fake_openai.chat_requests
    assert sum(sent_tokens(r) for r in requests) <= 8000
    assert len(requests) < 6
    final = requests[-1]
    assert final["tool_choice"] == "none" and final["messages"][-1] == {"role": "system", "content": ANSWER_NOW}
    assert all("tool_choice" not in r for r in requests[:-1])


def test_this_turns_results_make_room_by_dropping_history_then_old_results(fake_openai, staff, say, settings):
    settings.AGENT_TURN_PROMPT_TOKENS = 100_000
    for n in range(10):
        factories.expense(by=staff, description="words " * 60)
    fake_openai.reply("Earlier answer. " * 50)
    say("an earlier question " * 20)
    for _ in range(5):
        fake_openai.call(("list_expenses", {}), ("list_expenses", {"offset": 5}))
    fake_openai.reply("Done.")
    say("look at everything")
    turn = fake_openai.chat_requests[1:]
    assert all(sent_tokens(r) <= settings.AGENT_MAX_PROMPT_TOKENS for r in turn)
    assert any(m["content"] == "an earlier question " * 20 for m in turn[0]["messages"])
    assert not any(m["content"] == "an earlier question " * 20 for m in turn[-1]["messages"])
    tool_messages = [m for m in turn[-1]["messages"] if m["role"] == "tool"]
    assert len(tool_messages) == 10 and tool_messages[0]["content"] == DROPPED
