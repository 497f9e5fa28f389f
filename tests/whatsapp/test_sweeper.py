"""The sweeper: work a lost task left behind is picked up again; fresh work is left alone."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from config.celery import app as celery_app
from tests.conftest import fresh
from tests.fakes.graph import PHONE_NUMBER_ID
from whatsapp.models import Conversation, Message, StatusUpdate
from whatsapp.outbound.queue import outbound_queue
from whatsapp.replies import Reply


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """`manage.py sweep` with eager Celery, running what it queues after commit; returns its output."""
    def run(**options):
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("sweep", stdout=out, **options)
        return out.getvalue()

    return run


@pytest.fixture
def lost_inbound(signed_post, member):
    """An inbound message stored by the webhook whose task the broker lost (on_commit never ran)."""
    signed_post(fresh("messages__text"))
    message = Message.objects.get(direction="in")
    assert message.status == "received"
    return message


@pytest.fixture
def stuck_outbound(db):
    """A reply queued whose send task never ran."""
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505550000",
                                               wa_id="16505550000", last_inbound_at=timezone.now())
    (message,) = outbound_queue(conversation=conversation, reply=Reply(text="Stuck in the queue"))
    assert message.status == "queued"
    return message


def age(message: Message, seconds: int) -> None:
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_an_unanswered_inbound_message_is_answered_after_a_sweep(lost_inbound, graph, sweep):
    sweep(older_than=0)
    lost_inbound.refresh_from_db()
    assert lost_inbound.status == "handled"
    assert graph.texts() == ["Got it, thanks. Your message is saved."]
    assert Message.objects.get(direction="out").status == "sent"


def test_an_outbound_message_stuck_in_the_queue_is_sent_after_a_sweep(stuck_outbound, graph, sweep):
    sweep(older_than=0)
    stuck_outbound.refresh_from_db()
    assert stuck_outbound.status == "sent"
    assert graph.texts() == ["Stuck in the queue"]


def test_work_younger_than_the_cutoff_is_left_alone(lost_inbound, stuck_outbound, graph, sweep, settings):
    settings.WHATSAPP_SWEEP_AFTER_SECONDS = 120
    output = sweep()
    assert graph.requests == []
    lost_inbound.refresh_from_db()
    stuck_outbound.refresh_from_db()
    assert (lost_inbound.status, stuck_outbound.status) == ("received", "queued")
    assert output.strip() == "Re-queued 0 inbound message(s) and 0 outbox(es)."


def test_work_older_than_the_default_cutoff_is_picked_up(lost_inbound, stuck_outbound, graph, sweep, settings):
    settings.WHATSAPP_SWEEP_AFTER_SECONDS = 120
    age(lost_inbound, 121)
    age(stuck_outbound, 121)
    sweep()
    lost_inbound.refresh_from_db()
    stuck_outbound.refresh_from_db()
    assert (lost_inbound.status, stuck_outbound.status) == ("handled", "sent")


def test_the_command_prints_how_much_it_re_queued(lost_inbound, stuck_outbound, graph, sweep):
    output = sweep(older_than=0)
    assert output.strip() == "Re-queued 1 inbound message(s) and 1 outbox(es)."


def test_a_message_waiting_for_its_retry_is_not_swept_early(stuck_outbound, graph, sweep):
    Message.objects.filter(pk=stuck_outbound.pk).update(
        attempts=1, next_attempt_at=timezone.now() + timedelta(seconds=30))
    output = sweep(older_than=0)
    assert graph.requests == []
    assert "0 outbox(es)" in output


def test_held_and_handled_messages_are_not_swept(lost_inbound, stuck_outbound, graph, sweep):
    Message.objects.filter(pk=lost_inbound.pk).update(status="handled")
    Message.objects.filter(pk=stuck_outbound.pk).update(status="held")
    output = sweep(older_than=0)
    assert graph.requests == []
    assert output.strip() == "Re-queued 0 inbound message(s) and 0 outbox(es)."


def test_sweeping_twice_answers_once(lost_inbound, graph, sweep):
    sweep(older_than=0)
    sweep(older_than=0)
    assert len(graph.texts()) == 1


def test_celery_beat_runs_the_sweeper_every_half_minute():
    entry = celery_app.conf.beat_schedule["whatsapp-sweep"]
    assert entry["task"] == "whatsapp.tasks.sweep_task"
    assert entry["schedule"] <= 30


def test_a_status_that_raced_ahead_of_its_message_is_attached_by_the_sweep(stuck_outbound, sweep):
    """The status webhook committed after the sender stored the wamid and looked for early statuses."""
    Message.objects.filter(pk=stuck_outbound.pk).update(status="sent", wamid="wamid.raced")
    StatusUpdate.objects.create(wamid="wamid.raced", status="delivered", timestamp=timezone.now(), raw={},
                                phone_number_id=PHONE_NUMBER_ID)
    StatusUpdate.objects.create(wamid="wamid.somebody-elses", status="read", timestamp=timezone.now(), raw={})
    output = sweep()
    stuck_outbound.refresh_from_db()
    assert stuck_outbound.status == "delivered" and stuck_outbound.delivered_at
    assert StatusUpdate.objects.get(wamid="wamid.raced").message == stuck_outbound
    assert StatusUpdate.objects.get(wamid="wamid.somebody-elses").message is None
    assert "Attached 1 status(es)" in output


def test_an_outbox_waiting_for_its_retry_is_left_to_the_task_that_will_wake_it(stuck_outbound, graph, sweep):
    """A second reply queued behind a message that waits for its retry is not swept every minute."""
    Message.objects.filter(pk=stuck_outbound.pk).update(attempts=1,
                                                        next_attempt_at=timezone.now() + timedelta(minutes=4))
    outbound_queue(conversation=stuck_outbound.conversation, reply=Reply(text="Behind it"))
    Message.objects.filter(direction="out").update(created_at=timezone.now() - timedelta(minutes=10))
    assert "0 outbox(es)" in sweep(older_than=0)
    assert graph.requests == []


def test_a_message_stored_while_the_broker_is_down_gets_its_200_and_is_answered_after_a_sweep(
        deliver, member, graph, sweep, monkeypatch, caplog):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("whatsapp.tasks.inbound_handle_task.delay", broker_down)
    response, _ = deliver(fresh("messages__text"))
    assert response.status_code == 200  # stored: Meta must not be told to send it again
    assert Message.objects.get(direction="in").status == "received"
    assert any("Connection refused" in str(r.exc_info) for r in caplog.records if r.exc_info)

    monkeypatch.undo()  # the broker is back
    sweep(older_than=0)
    assert Message.objects.get(direction="in").status == "handled"
    assert graph.texts() == ["Got it, thanks. Your message is saved."]


def test_a_reply_queued_while_the_broker_is_down_is_sent_after_a_sweep(db, graph, sweep, monkeypatch,
                                                                       django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused.")

    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505550000",
                                               wa_id="16505550000", last_inbound_at=timezone.now())
    monkeypatch.setattr("whatsapp.tasks.outbound_send_task.delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        (message,) = outbound_queue(conversation=conversation, reply=Reply(text="Sent once the broker is back"))
    message.refresh_from_db()
    assert message.status == "queued"

    monkeypatch.undo()
    sweep(older_than=0)
    message.refresh_from_db()
    assert message.status == "sent"
    assert graph.texts() == ["Sent once the broker is back"]


def test_a_message_whose_conversation_a_live_worker_holds_is_left_to_it(lost_inbound, graph, sweep):
    Conversation.objects.update(inbound_lease_until=timezone.now() + timedelta(seconds=30))
    assert sweep(older_than=0).strip() == "Re-queued 0 inbound message(s) and 0 outbox(es)."
    Conversation.objects.update(inbound_lease_until=timezone.now() - timedelta(seconds=1))  # its worker died
    sweep(older_than=0)
    lost_inbound.refresh_from_db()
    assert lost_inbound.status == "handled"


def test_an_outbox_a_live_worker_is_sending_is_left_to_it(stuck_outbound, graph, sweep):
    Conversation.objects.update(outbox_lease_until=timezone.now() + timedelta(seconds=30))
    assert "0 outbox(es)" in sweep(older_than=0)
    assert graph.requests == []
