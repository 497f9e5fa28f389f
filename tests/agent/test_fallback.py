"""When the model cannot be asked, the person still gets a clear answer; nothing is lost."""

import json

from accounts.models import User
from agent.models import AgentTurn, Expense
from whatsapp.models import Message

CANNOT_THINK = "Sorry, I can't think right now"
AI_OFF = "AI replies are off, so for now I understand only the commands below."


def test_without_a_key_the_person_is_told_ai_is_off_how_to_turn_it_on_and_the_commands(
        assistant_without_llm, staff, say, graph):
    say("spent 42.50 on fuel")
    [text] = graph.texts()
    assert text.startswith(AI_OFF) and "/expense 12.50 fuel [category]" in text
    assert "OPENAI_API_KEY" in text and "OPENAI_BASE_URL" in text and "Ollama" in text


def test_without_a_key_commands_still_work(assistant_without_llm, staff, say, graph):
    say("/expense 12.50 lunch")
    [text] = graph.texts()
    assert "12.50" in text and not text.startswith(AI_OFF)
    assert Expense.objects.get().submitted_by == staff


def test_without_a_key_a_voice_note_asks_for_text_instead_of_failing(assistant_without_llm, staff, say, graph):
    say(kind="audio_voice_note")
    [text] = graph.texts()
    assert text.startswith("I can't listen to voice notes while AI replies are off.") and AI_OFF in text
    assert not [r for r in graph.requests if r.method == "GET"]  # nothing downloaded


def test_a_local_openai_compatible_server_needs_no_key(fake_openai, staff, say, graph, settings):
    settings.OPENAI_API_KEY = ""  # Ollama and friends: only OPENAI_BASE_URL is set
    fake_openai.reply("Hello from the local model.")
    say("hello")
    assert graph.texts() == ["Hello from the local model."]
    assert fake_openai.authorizations == ["Bearer not-needed"]


def test_without_a_key_the_message_is_kept_and_the_failure_recorded(assistant_without_llm, staff, say):
    say("spent 42.50 on fuel")
    message = Message.objects.get(direction=Message.Direction.INBOUND)
    assert message.text == "spent 42.50 on fuel"
    assert AgentTurn.objects.get(message=message).error == "Neither OPENAI_API_KEY nor OPENAI_BASE_URL is set"




def test_an_llm_outage_after_retries_gives_the_fallback_and_records_the_error(fake_openai, staff, say, graph):
    fake_openai.fail(500, times=3)
    say("spent 42.50 on fuel")
    [text] = graph.texts()
    assert text.startswith(CANNOT_THINK) and "/help" in text
    turn = AgentTurn.objects.get()
    assert "InternalServerError" in turn.error
    assert Message.objects.filter(direction=Message.Direction.INBOUND, text="spent 42.50 on fuel").exists()


def test_the_client_retries_before_giving_up(fake_openai, staff, say, graph, settings):
    settings.OPENAI_MAX_RETRIES = 2
    fake_openai.fail(500, times=2)
    fake_openai.reply("Back again.")
    say("hello")
    assert len(fake_openai.chat_requests) == 3
    assert graph.texts() == ["Back again."]


def test_an_outage_in_a_later_round_keeps_what_the_tools_already_saved(fake_openai, staff, say, graph):
    fake_openai.call(("record_expense", {"gross": "42.50", "category": "fuel"}))
    fake_openai.fail(500, times=1)
    say("spent 42.50 on fuel")
    expense = Expense.objects.get()
    # The person is told what was already saved, so they do not send it again (and double it).
    assert graph.texts()[0].startswith(f"I did this: record expense #{expense.pk}.")
    turn = AgentTurn.objects.get()
    assert turn.error and turn.tool_calls.count() == 1


def test_no_internal_error_text_or_tool_json_reaches_the_person(fake_openai, staff, say, graph):
    fake_openai.call(("record_expense", {"gross": "abc", "category": "nonsense"}))
    fake_openai.fail(500, times=1)
    say("spent abc")
    fake_openai.call(("list_expenses", {"period": "someday"}))
    fake_openai.reply("")
    say("list")
    for text in graph.texts():
        assert "Traceback" not in text and "InternalServerError" not in text and "upstream failure" not in text
        assert '"ok"' not in text and "{" not in text
    assert graph.texts()[-1] == "Sorry, I couldn't put an answer together. Could you say it another way?"


def test_a_tool_crash_goes_back_to_the_model_as_a_plain_error(fake_openai, staff, say, graph, monkeypatch):
    from agent import services

    def boom(**kwargs):
        raise RuntimeError("database exploded at 0xdeadbeef")

    monkeypatch.setattr(services, "expense_record", boom)
    fake_openai.call(("record_expense", {"gross": "1", "category": "fuel"}))
    fake_openai.reply("Sorry, that failed.")
    say("1 fuel")
    [result] = fake_openai.tool_results(1)
    assert result == {"ok": False, "error": "An internal error stopped this action: nothing was changed."}
    assert "0xdeadbeef" not in json.dumps(fake_openai.chat_requests[1])
    assert graph.texts() == ["Sorry, that failed."]


def test_when_the_retries_also_fail_the_person_gets_the_fallback(fake_openai, staff, say, graph, settings):
    settings.OPENAI_MAX_RETRIES = 1
    fake_openai.fail(500, times=2)
    fake_openai.reply("Too late.")
    say("spent 42.50 on fuel")
    assert len(fake_openai.chat_requests) == 2
    assert graph.texts()[0].startswith(CANNOT_THINK)
    assert AgentTurn.objects.get().error.startswith("InternalServerError")
    assert not Expense.objects.exists()
