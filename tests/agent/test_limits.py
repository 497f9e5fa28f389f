"""Per-person limits: over one, no model call, one polite notice, commands still work, staff see who."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agent.limits import NOTICES
from agent.models import AgentTurn, LimitReached
from whatsapp.models import Message

TOO_FAST = NOTICES[LimitReached.Kind.MESSAGES_PER_MINUTE]
DAY_DONE = NOTICES[LimitReached.Kind.MESSAGES_PER_DAY]
WORKED_ENOUGH = NOTICES[LimitReached.Kind.TOKENS_PER_DAY]


@pytest.fixture
def limits(settings):
    settings.AGENT_LIMIT_MESSAGES_PER_MINUTE = 3
    settings.AGENT_LIMIT_MESSAGES_PER_DAY = 0
    settings.AGENT_LIMIT_TOKENS_PER_DAY = 0
    return settings


def test_over_the_minute_limit_the_person_is_told_once_and_the_model_is_not_asked(
        fake_openai, staff, say, graph, limits):
    for n in range(6):
        say(f"question {n}")
    assert len(fake_openai.chat_requests) == 3
    texts = graph.texts()
    assert texts[:3] == ["OK.", "OK.", "OK."]
    assert len(texts) == 4 and texts[3].startswith(TOO_FAST) and "/help still work" in texts[3]
    reached = LimitReached.objects.get()
    assert (reached.user, reached.kind, reached.limit, reached.messages) == (staff, "messages_per_minute", 3, 3)
    assert reached.message.text == "question 3"
    # Held back, not lost: the messages are stored and marked handled, without an answer.
    assert Message.objects.filter(direction="in", text__startswith="question").count() == 6


def test_commands_still_work_over_a_limit(fake_openai, staff, say, graph, limits):
    for n in range(4):
        say(f"question {n}")
    say("/help")
    assert len(fake_openai.chat_requests) == 3
    assert "/expense" in graph.texts()[-1]


def test_a_new_episode_after_a_quiet_minute_gets_a_new_notice(fake_openai, staff, say, graph, limits):
    for n in range(5):
        say(f"question {n}")
    earlier = timezone.now() - timedelta(minutes=2)
    Message.objects.filter(direction="in").update(timestamp=earlier)
    LimitReached.objects.update(started_at=earlier, last_at=earlier)
    for n in range(5):
        say(f"again {n}")
    assert len([t for t in graph.texts() if t.startswith(TOO_FAST)]) == 2
    assert LimitReached.objects.count() == 2


def test_reactions_do_not_count_towards_the_limit(fake_openai, staff, say, graph, limits):
    for _ in range(5):
        say(kind="reaction")
    say("a real question")
    assert graph.texts() == ["OK."]
    assert not LimitReached.objects.exists()


def test_over_the_days_messages_the_person_is_told_once(fake_openai, staff, say, graph, limits):
    limits.AGENT_LIMIT_MESSAGES_PER_MINUTE = 0
    limits.AGENT_LIMIT_MESSAGES_PER_DAY = 2
    for n in range(4):
        say(f"question {n}")
    assert len(fake_openai.chat_requests) == 2
    assert graph.texts()[2:] == [f"{DAY_DONE} Commands such as /help still work."]


def test_over_the_days_tokens_the_model_is_not_asked(fake_openai, staff, say, graph, limits):
    limits.AGENT_LIMIT_TOKENS_PER_DAY = 1000
    fake_openai.usage = {"prompt_tokens": 900, "completion_tokens": 150, "total_tokens": 1050}
    say("a big question")
    say("another one")
    say("and another")
    assert len(fake_openai.chat_requests) == 1
    assert graph.texts() == ["OK.", f"{WORKED_ENOUGH} Commands such as /help still work."]
    assert AgentTurn.objects.count() == 1


def test_yesterdays_tokens_do_not_count_today(fake_openai, staff, say, graph, limits):
    limits.AGENT_LIMIT_TOKENS_PER_DAY = 1000
    say("hello")
    AgentTurn.objects.update(total_tokens=5000, created_at=timezone.now() - timedelta(days=1))
    say("hello again")
    assert graph.texts() == ["OK.", "OK."]


def test_voice_notes_over_a_limit_are_not_transcribed(fake_openai, staff, say, graph, limits):
    for n in range(3):
        say(f"question {n}")
    say(kind="audio_voice_note")
    assert fake_openai.transcription_requests == []
    assert graph.texts()[-1].startswith(TOO_FAST)


def test_staff_see_who_reached_a_limit_in_the_admin(fake_openai, staff, say, limits, client):
    from tests.agent import factories

    for n in range(5):
        say(f"question {n}")
    colleague = factories.person(role="staff", first_name="Tom")
    colleague.is_staff = True
    colleague.save()
    client.force_login(colleague)
    html = client.get("/admin/agent/limitreached/").content.decode()
    assert "Sheena Nelson" in html and "Messages per minute" in html
    assert client.get("/admin/agent/limitreached/add/").status_code == 403
