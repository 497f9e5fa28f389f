"""Outbound: queued rows sent in order, retries, permanent failures, the window, rate limits, alerts.

Replies are queued inside the test's transaction, where their after-commit flush never runs; each
test then flushes the outbox itself, so it decides when time passes.
"""

import json
from datetime import timedelta

import pytest
import requests
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.catalogue_support import template_approved
from tests.fakes.graph import PHONE_NUMBER_ID, graph_error, send_fixture
from whatsapp.outbound import sender
from whatsapp.models import ChannelAlert, Conversation, Message
from whatsapp.alerts import OPERATOR_RETRY_SECONDS
from whatsapp.leases import BUSY_RETRY_SECONDS
from whatsapp.outbound.queue import outbound_queue, template_queue
from whatsapp.outbound.sender import outbound_send
from whatsapp.replies import Reply
from whatsapp.outbound.retry import MAX_COUNTDOWN, backoff_seconds, pair_limit_seconds

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def conversation_with(wa_id: str = "16505551234", *, last_inbound_ago: timedelta = timedelta(minutes=1)):
    inbound_at = timezone.now() - last_inbound_ago
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key=wa_id, wa_id=wa_id,
                                               last_inbound_at=inbound_at)
    return conversation


_inbound_ids = iter(range(1, 10_000))


def inbound(conversation, text: str = "Hello") -> Message:
    return Message.objects.create(conversation=conversation, direction="in", wamid=f"wamid.in{next(_inbound_ids)}",
                                  type="text", text=text, timestamp=conversation.last_inbound_at, status="handled")


def queue(conversation, text: str = "Here you go.", **reply) -> list[Message]:
    return outbound_queue(conversation=conversation, reply=Reply(text=text, **reply),
                          in_reply_to=inbound(conversation))


def fields(message: Message, *names):
    message.refresh_from_db()
    return tuple(getattr(message, n) for n in names)


def due_now(message: Message) -> None:
    """Time passes: the message's retry is due."""
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def reengagement(settings, db):
    """The re-engagement template is `welcome_back`, approved, taking the business's name."""
    settings.WHATSAPP_REENGAGEMENT_TEMPLATE = "welcome_back"
    settings.WHATSAPP_REENGAGEMENT_TEMPLATE_LANGUAGE = "en_US"
    settings.BUSINESS_NAME = "Acme Plumbing"
    template_approved("welcome_back", body="Hello! {{1}} has a reply for you. Write to us to read it.")


# --- success -------------------------------------------------------------------------------------
def test_a_reply_inside_the_window_is_sent_and_stored_with_the_returned_wamid(graph):
    conversation = conversation_with()
    (message,) = queue(conversation, "Your total is 42.")
    assert message.status == "queued"
    assert outbound_send(conversation_id=conversation.pk) is None
    (body,) = graph.sent()
    assert body["to"] == "+16505551234"
    assert body["text"]["body"] == "Your total is 42."
    status, wamid, sent_at, attempts = fields(message, "status", "wamid", "sent_at", "attempts")
    assert (status, wamid, attempts) == ("sent", "wamid.fake1", 1)
    assert sent_at is not None


def test_a_sent_message_is_not_sent_again_by_a_second_flush(graph):
    conversation = conversation_with()
    queue(conversation)
    outbound_send(conversation_id=conversation.pk)
    outbound_send(conversation_id=conversation.pk)
    assert len(graph.sent()) == 1


def test_the_messages_of_one_conversation_go_out_in_order(graph):
    conversation = conversation_with()
    parts = ["Part one. " + "a" * 4000, "Part two. " + "b" * 4000, "Part three. " + "c" * 100]
    messages = queue(conversation, "\n\n".join(parts))
    queue(conversation, "And a second reply.")
    outbound_send(conversation_id=conversation.pk)
    assert graph.texts() == parts + ["And a second reply."]
    assert [m.part for m in messages] == [0, 1, 2]
    wamids = [fields(m, "wamid")[0] for m in messages]
    assert wamids == ["wamid.fake1", "wamid.fake2", "wamid.fake3"]


def test_queueing_the_same_reply_twice_for_one_inbound_stores_it_once(graph):
    conversation = conversation_with()
    question = inbound(conversation)
    reply = Reply(text="a" * 3000 + "\n\n" + "b" * 3000)  # two parts
    first = outbound_queue(conversation=conversation, reply=reply, in_reply_to=question)
    again = outbound_queue(conversation=conversation, reply=reply, in_reply_to=question)
    assert [m.pk for m in again] == [m.pk for m in first]
    assert Message.objects.filter(direction="out").count() == 2
    outbound_send(conversation_id=conversation.pk)
    assert len(graph.texts()) == 2


def test_the_database_refuses_a_second_reply_part_for_the_same_inbound(db):
    conversation = conversation_with()
    question = inbound(conversation)
    fields_ = dict(conversation=conversation, direction="out", type="text", text="x", status="queued",
                   timestamp=timezone.now(), in_reply_to=question, part=0)
    Message.objects.create(**fields_)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(**fields_)


def test_reply_buttons_go_out_as_the_protocol_interactive_body(graph):
    conversation = conversation_with()
    queue(conversation, "Approve this expense?", buttons=[("approve-17", "Approve"), ("reject-17", "Reject")])
    outbound_send(conversation_id=conversation.pk)
    (body,) = graph.sent()
    expected = json.loads(json.dumps(send_fixture("req_interactive_reply_buttons"))
                          .replace("{{Recipient-Phone-Number}}", "+16505551234")
                          .replace("<BUTTON_TEXT>", "Approve this expense?")
                          .replace("<UNIQUE_BUTTON_ID_1>", "approve-17").replace("<BUTTON_TITLE_1>", "Approve")
                          .replace("<UNIQUE_BUTTON_ID_2>", "reject-17").replace("<BUTTON_TITLE_2>", "Reject"))
    assert body == expected
    assert Message.objects.get(direction="out").type == "interactive"


def test_reply_buttons_are_cut_to_three_with_titles_of_at_most_20_characters(graph):
    conversation = conversation_with()
    buttons = [(f"b{i}", f"A very long button title {i}") for i in range(5)]
    queue(conversation, "Pick one", buttons=buttons)
    outbound_send(conversation_id=conversation.pk)
    sent_buttons = graph.sent("interactive")[0]["interactive"]["action"]["buttons"]
    assert [b["reply"]["id"] for b in sent_buttons] == ["b0", "b1", "b2"]
    assert all(len(b["reply"]["title"]) <= 20 for b in sent_buttons)


def test_while_another_worker_holds_the_outbox_a_flush_sends_nothing_and_asks_to_come_back(graph):
    conversation = conversation_with()
    (message,) = queue(conversation)
    Conversation.objects.filter(pk=conversation.pk).update(outbox_lease_until=timezone.now() + timedelta(minutes=1))
    delay = outbound_send(conversation_id=conversation.pk)
    assert delay is not None and delay > 0
    assert graph.sent() == []
    assert fields(message, "status") == ("queued",)


# --- retries -------------------------------------------------------------------------------------
@pytest.mark.parametrize("failure", [graph_error(130429), (503, {}), requests.ConnectTimeout()],
                         ids=["throughput-limit", "http-503", "timeout"])
def test_a_retryable_failure_is_retried_after_its_backoff_then_sent(graph, failure):
    conversation = conversation_with()
    (message,) = queue(conversation, "Retry me")
    graph.fail_next(failure)
    delay = outbound_send(conversation_id=conversation.pk)
    assert delay is not None and delay > 0
    status, attempts, next_attempt_at = fields(message, "status", "attempts", "next_attempt_at")
    assert (status, attempts) == ("queued", 1)
    assert next_attempt_at > timezone.now()

    assert outbound_send(conversation_id=conversation.pk) is None  # not due: nothing sent, no second wake-up
    assert len(graph.texts()) == 1

    due_now(message)
    assert outbound_send(conversation_id=conversation.pk) is None
    assert graph.texts() == ["Retry me", "Retry me"]
    status, attempts, wamid, error_code = fields(message, "status", "attempts", "wamid", "error_code")
    assert (status, attempts, error_code) == ("sent", 2, None)
    assert wamid.startswith("wamid.fake")


def test_a_retryable_failure_keeps_its_code_on_the_message_while_it_waits(graph):
    conversation = conversation_with()
    (message,) = queue(conversation)
    graph.fail_next("resp_error_130429")
    outbound_send(conversation_id=conversation.pk)
    code, title = fields(message, "error_code", "error_title")
    assert code == 130429 and "Rate limit" in title


def test_the_retry_period_is_at_least_ten_minutes(settings):
    assert settings.WHATSAPP_RETRY_FOR_SECONDS >= 600


def test_retries_go_on_for_the_whole_retry_period_then_the_message_fails(graph, settings, monkeypatch):
    """Graph stays down: the clock jumps to each retry until the sender gives up."""
    settings.WHATSAPP_RETRY_FOR_SECONDS = 600
    clock = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    conversation = conversation_with()
    (message,) = queue(conversation)
    graph.fail_next(*[(500, {"error": {"message": "Service unavailable", "code": 2}})] * 200)
    started = clock[0]
    for _ in range(200):
        delay = outbound_send(conversation_id=conversation.pk)
        if delay is None:
            break
        assert 0 < delay <= MAX_COUNTDOWN
        clock[0] += timedelta(seconds=delay)
    status, code, title, details, attempts, failed_at = fields(
        message, "status", "error_code", "error_title", "error_details", "attempts", "failed_at")
    assert status == "failed"
    assert (code, title) == (2, "Service unavailable")
    assert details.startswith(f"Gave up after {attempts} attempts")
    assert (failed_at - started).total_seconds() >= 600
    assert attempts > 3


def test_a_retry_just_inside_the_retry_period_is_still_scheduled(graph, settings):
    conversation = conversation_with()
    (message,) = queue(conversation)
    Message.objects.filter(pk=message.pk).update(
        attempts=5, first_attempt_at=timezone.now() - timedelta(seconds=settings.WHATSAPP_RETRY_FOR_SECONDS - 30))
    graph.fail_next((503, {}))
    outbound_send(conversation_id=conversation.pk)
    assert fields(message, "status", "attempts") == ("queued", 6)


def test_a_retryable_failure_after_the_retry_period_marks_the_message_failed_with_code_and_reason(graph, settings):
    conversation = conversation_with()
    (message,) = queue(conversation)
    Message.objects.filter(pk=message.pk).update(
        attempts=9, first_attempt_at=timezone.now() - timedelta(seconds=settings.WHATSAPP_RETRY_FOR_SECONDS + 1))
    graph.fail_next("resp_error_130429")
    assert outbound_send(conversation_id=conversation.pk) is None
    status, code, title, details, next_attempt_at = fields(
        message, "status", "error_code", "error_title", "error_details", "next_attempt_at")
    assert (status, code, title) == ("failed", 130429, "(#130429) Rate limit hit")
    assert details.startswith("Gave up after 10 attempts.")
    assert next_attempt_at is None


def test_backoff_grows_exponentially_with_jitter_and_stays_under_the_cap():
    for attempt, base in [(1, 5), (2, 10), (3, 20), (4, 40)]:
        delays = {backoff_seconds(attempt) for _ in range(50)}
        assert all(base * 0.5 <= d <= base for d in delays)
        assert len(delays) > 1  # jittered
    assert all(backoff_seconds(30) <= MAX_COUNTDOWN for _ in range(50))


def test_the_pair_rate_limit_waits_4_to_the_nth_seconds():
    assert 4 <= pair_limit_seconds(1) < 5
    assert 16 <= pair_limit_seconds(2) < 17
    assert 64 <= pair_limit_seconds(3) < 65
    assert pair_limit_seconds(20) <= MAX_COUNTDOWN + 1


# --- permanent failures --------------------------------------------------------------------------
def test_a_permanent_error_fails_the_message_with_code_title_and_details_and_the_next_one_still_goes(graph):
    conversation = conversation_with()
    (first,) = queue(conversation, "first")
    (second,) = queue(conversation, "second")
    graph.fail_next(graph_error(131026, "Message undeliverable", details="Receiver is incapable of receiving"))
    assert outbound_send(conversation_id=conversation.pk) is None
    status, code, title, details, failed_at, attempts = fields(
        first, "status", "error_code", "error_title", "error_details", "failed_at", "attempts")
    assert (status, code, title, details, attempts) == (
        "failed", 131026, "Message undeliverable", "Receiver is incapable of receiving", 1)
    assert failed_at is not None
    assert fields(second, "status") == ("sent",)
    assert graph.texts() == ["first", "second"]


def test_a_permanent_error_is_not_retried(graph):
    conversation = conversation_with()
    (message,) = queue(conversation)
    graph.fail_next(graph_error(100, "Invalid parameter"))
    outbound_send(conversation_id=conversation.pk)
    outbound_send(conversation_id=conversation.pk)
    assert len(graph.texts()) == 1
    assert fields(message, "status", "next_attempt_at") == ("failed", None)


def test_an_expired_token_keeps_the_message_queued_and_raises_an_alert_for_staff(graph):
    conversation = conversation_with()
    (message,) = queue(conversation)
    graph.fail_next(graph_error(190, "Error validating access token: Session has expired", http_status=401))
    assert outbound_send(conversation_id=conversation.pk) == OPERATOR_RETRY_SECONDS
    status, code, next_attempt_at = fields(message, "status", "error_code", "next_attempt_at")
    assert (status, code) == ("queued", 190) and next_attempt_at > timezone.now()
    alert = ChannelAlert.objects.get()
    assert (alert.code, alert.source, alert.resolved_at) == (190, "graph", None)
    assert "access token" in alert.title


def test_once_the_token_is_fixed_the_waiting_reply_goes_out_even_after_the_retry_budget(graph, settings):
    conversation = conversation_with()
    (message,) = queue(conversation, "Your answer")
    graph.fail_next(graph_error(190, "Error validating access token", http_status=401))
    outbound_send(conversation_id=conversation.pk)
    # An hour later (far past WHATSAPP_RETRY_FOR_SECONDS) an operator has put a new token in.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Message.objects.filter(pk=message.pk).update(next_attempt_at=an_hour_ago)
    ChannelAlert.objects.update(last_seen_at=an_hour_ago)
    graph.fail_next(graph_error(131000, "Something went wrong"))  # one hiccup right after: retried
    outbound_send(conversation_id=conversation.pk)
    assert fields(message, "status", "attempts") == ("queued", 1)  # a fresh retry budget
    due_now(message)
    assert outbound_send(conversation_id=conversation.pk) is None
    assert fields(message, "status", "error_code") == ("sent", None)
    assert graph.texts() == ["Your answer"] * 3
    assert ChannelAlert.objects.get().resolved_at is not None  # Graph takes messages again


def test_while_graph_refuses_the_token_other_conversations_wait_without_asking_it(graph):
    ann, bob = conversation_with(), conversation_with(wa_id="16505550001")
    queue(ann, "for Ann")
    graph.fail_next(graph_error(190, "Error validating access token", http_status=401))
    outbound_send(conversation_id=ann.pk)
    (for_bob,) = queue(bob, "for Bob")
    assert OPERATOR_RETRY_SECONDS - 5 < outbound_send(conversation_id=bob.pk) < OPERATOR_RETRY_SECONDS + 35
    assert graph.texts() == ["for Ann"]  # Bob's reply did not ask Graph again
    assert fields(for_bob, "status", "attempts") == ("queued", 0)


def test_a_scheduled_message_whose_moment_passed_during_a_pause_is_not_sent_late(graph):
    conversation = conversation_with()
    template_approved("payment_reminder")
    reminder = template_queue(conversation=conversation, name="payment_reminder", language="en_US",
                              data={"job": "overdue_reminder", "expires_at": timezone.now().isoformat()})
    assert outbound_send(conversation_id=conversation.pk) is None
    assert graph.sent() == []
    assert fields(reminder, "status", "error_title") == ("failed", "Expired")


def test_an_expired_token_is_logged_as_an_error(graph, caplog):
    conversation = conversation_with()
    queue(conversation)
    graph.fail_next(graph_error(190, "Error validating access token", http_status=401))
    outbound_send(conversation_id=conversation.pk)
    assert any(r.levelname == "ERROR" and "190" in r.getMessage() for r in caplog.records)


def test_repeated_token_failures_count_on_one_open_alert(graph):
    conversation = conversation_with()
    queue(conversation, "one")
    queue(conversation, "two")
    graph.fail_next(*[graph_error(190, "Error validating access token", http_status=401)] * 2)
    outbound_send(conversation_id=conversation.pk)
    five_minutes_later = timezone.now() - timedelta(minutes=5, seconds=1)
    Message.objects.filter(direction="out").update(next_attempt_at=None)
    ChannelAlert.objects.update(last_seen_at=five_minutes_later)
    outbound_send(conversation_id=conversation.pk)  # the probe
    alert = ChannelAlert.objects.get()
    assert alert.count == 2
    # In order: the second waits behind the first, nothing is failed or lost, and tries while Graph
    # refuses the token do not use up the first one's retry budget.
    assert list(Message.objects.filter(direction="out").order_by("id").values_list("status", "attempts")) == [
        ("queued", 0), ("queued", 0)]


# --- the 24-hour window --------------------------------------------------------------------------
def test_a_131047_answer_holds_the_text_and_sends_the_reengagement_template(graph, reengagement):
    conversation = conversation_with()
    (message,) = queue(conversation, "Here is your summary.")
    graph.fail_next("resp_error_131047_thirdparty")
    assert outbound_send(conversation_id=conversation.pk) is None
    assert fields(message, "status", "text") == ("held", "Here is your summary.")
    assert graph.texts() == ["Here is your summary."]  # tried once, never again as text
    (template,) = graph.sent("template")
    assert template["to"] == "+16505551234"
    assert template["template"] == {"name": "welcome_back", "language": {"code": "en_US"}, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "Acme Plumbing"}]}]}
    row = Message.objects.get(direction="out", type="template")
    assert row.status == "sent" and row.data == {"reengagement": True}


def test_a_closed_window_sends_the_template_without_trying_the_text(graph, reengagement):
    conversation = conversation_with(last_inbound_ago=25 * HOUR)
    (message,) = queue(conversation, "Late answer")
    assert outbound_send(conversation_id=conversation.pk) is None
    assert graph.texts() == []
    assert [b["type"] for b in graph.sent()] == ["template"]
    assert fields(message, "status", "attempts") == ("held", 0)


def test_only_one_reengagement_template_goes_out_per_closed_window(graph, reengagement):
    conversation = conversation_with(last_inbound_ago=25 * HOUR)
    queue(conversation, "one")
    outbound_send(conversation_id=conversation.pk)
    queue(conversation, "two")
    queue(conversation, "three")
    outbound_send(conversation_id=conversation.pk)
    assert [b["type"] for b in graph.sent()] == ["template"]
    assert Message.objects.filter(direction="out", type="text", status="held").count() == 3


def test_two_131047_answers_in_a_row_send_one_template(graph, reengagement):
    conversation = conversation_with()
    first, second = queue(conversation, "one")[0], queue(conversation, "two")[0]
    graph.fail_next("resp_error_131047_thirdparty", "resp_error_131047_thirdparty")
    outbound_send(conversation_id=conversation.pk)
    assert graph.texts() == ["one", "two"]
    assert len(graph.sent("template")) == 1
    assert fields(first, "status") == fields(second, "status") == ("held",)


def test_a_new_closed_window_after_the_person_wrote_again_gets_its_own_template(graph, reengagement):
    conversation = conversation_with(last_inbound_ago=50 * HOUR)
    queue(conversation, "one")
    outbound_send(conversation_id=conversation.pk)
    # The person wrote 25 hours ago (after the first template) and the window closed again.
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - 25 * HOUR)
    Message.objects.filter(type="template").update(timestamp=timezone.now() - 49 * HOUR)
    queue(conversation, "two")
    outbound_send(conversation_id=conversation.pk)
    assert len(graph.sent("template")) == 2


def test_a_template_goes_out_even_when_the_window_is_closed(graph):
    conversation = conversation_with(last_inbound_ago=25 * HOUR)
    template_approved("invoice_due")
    message = template_queue(conversation=conversation, name="invoice_due", language="en_US")
    outbound_send(conversation_id=conversation.pk)
    assert fields(message, "status") == ("sent",)
    assert graph.sent("template")[0]["template"]["name"] == "invoice_due"


# --- the pair rate limit (131056) ----------------------------------------------------------------
def test_131056_backs_off_that_person_only(graph):
    ann = conversation_with("16505551234")
    bob = conversation_with("16505550000")
    (to_ann,) = queue(ann, "for Ann")
    (to_bob,) = queue(bob, "for Bob")
    graph.fail_next(graph_error(131056, "(#131056) Pair rate limit hit"))
    delay = outbound_send(conversation_id=ann.pk)
    assert delay is not None and delay >= 4
    ann.refresh_from_db()
    assert ann.send_backoff_until > timezone.now()
    assert fields(to_ann, "status", "error_code") == ("queued", 131056)

    assert outbound_send(conversation_id=bob.pk) is None
    assert fields(to_bob, "status") == ("sent",)
    bob.refresh_from_db()
    assert bob.send_backoff_until is None


def test_while_a_person_is_backed_off_nothing_goes_to_them(graph):
    ann = conversation_with()
    (first,) = queue(ann, "one")
    graph.fail_next(graph_error(131056))
    outbound_send(conversation_id=ann.pk)
    due_now(first)  # the message's own retry is due, the person's back-off is not
    queue(ann, "two")
    assert outbound_send(conversation_id=ann.pk) is None  # the task that set the back-off wakes it
    assert graph.texts() == ["one"]


def test_after_the_pair_back_off_the_person_gets_their_messages_in_order(graph):
    ann = conversation_with()
    (first,) = queue(ann, "one")
    queue(ann, "two")
    graph.fail_next(graph_error(131056))
    outbound_send(conversation_id=ann.pk)
    due_now(first)
    Conversation.objects.filter(pk=ann.pk).update(send_backoff_until=timezone.now() - timedelta(seconds=1))
    assert outbound_send(conversation_id=ann.pk) is None
    assert graph.texts() == ["one", "one", "two"]


def test_a_retry_under_eager_celery_leaves_the_message_queued_instead_of_recursing(graph):
    from whatsapp.tasks import outbound_send_task

    conversation = conversation_with()
    (message,) = queue(conversation)
    graph.fail_next((503, {}))
    outbound_send_task.delay(conversation.pk)  # eager: the countdown cannot be honoured
    assert fields(message, "status", "attempts") == ("queued", 1)
    assert len(graph.texts()) == 1


def test_a_flush_that_lost_its_lease_to_another_worker_stops_sending(graph, monkeypatch):
    conversation = conversation_with()
    queue(conversation, "First.")
    queue(conversation, "Second.")
    real_send = sender._send_one

    def slow_send(message, conv, client):
        result = real_send(message, conv, client)
        # The send took longer than the lease: another worker's flush took the outbox over.
        Conversation.objects.filter(pk=conv.pk).update(outbox_lease_until=timezone.now() + timedelta(minutes=5))
        return result

    monkeypatch.setattr(sender, "_send_one", slow_send)
    assert outbound_send(conversation_id=conversation.pk) == BUSY_RETRY_SECONDS
    assert graph.texts() == ["First."]


def test_a_flush_renews_its_lease_after_each_send(graph, monkeypatch):
    conversation = conversation_with()
    queue(conversation, "First.")
    queue(conversation, "Second.")
    seen = []
    real_send = sender._send_one

    def recording_send(message, conv, client):
        seen.append(Conversation.objects.get(pk=conv.pk).outbox_lease_until)
        return real_send(message, conv, client)

    monkeypatch.setattr(sender, "_send_one", recording_send)
    assert outbound_send(conversation_id=conversation.pk) is None
    assert graph.texts() == ["First.", "Second."]
    assert seen[1] > seen[0]
