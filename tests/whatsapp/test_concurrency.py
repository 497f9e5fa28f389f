"""Deliveries racing in parallel web workers, on PostgreSQL (where requests really run at once).

Each thread is a web worker with its own database connection; a barrier releases them together.
"""

import threading
from unittest import mock

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import APP_SECRET, WEBHOOK_URL, fresh
from whatsapp.models import Conversation, Message, WebhookEvent
from whatsapp.signatures import sign

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def post_at_once(bodies: list[bytes]) -> list[int]:
    """POST every body from its own thread, all released together; returns the status codes."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int | None] = [None] * len(bodies)
    errors: list[BaseException] = []

    def post(index: int, body: bytes) -> None:
        try:
            client = Client()
            signature = sign(body, APP_SECRET)
            barrier.wait(timeout=10)
            response = client.post(WEBHOOK_URL, data=body, content_type="application/json",
                                   HTTP_X_HUB_SIGNATURE_256=signature)
            statuses[index] = response.status_code
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request thread hung"
    assert not errors, errors
    return statuses


@pytest.fixture
def queued():
    """Counts inbound_handle_task being queued (after commit) instead of running it."""
    with mock.patch("whatsapp.tasks.inbound_handle_task.delay") as delay:
        yield delay


def test_the_same_message_racing_in_parallel_is_stored_once_and_queued_once(member, queued):
    body = fresh("messages__text")

    statuses = post_at_once([body] * THREADS)

    assert statuses == [200] * THREADS
    assert WebhookEvent.objects.count() == THREADS  # every delivery is kept raw
    inbound = Message.objects.get(direction=Message.Direction.INBOUND)
    assert queued.call_count == 1
    queued.assert_called_once_with(inbound.pk)
    assert Conversation.objects.count() == 1


def test_the_same_message_racing_in_parallel_is_answered_once(member, graph):
    # Tasks run inline here (eager), in the thread that committed: every stored copy would answer.
    statuses = post_at_once([fresh("messages__text")] * THREADS)

    assert statuses == [200] * THREADS
    assert graph.texts() == ["Got it, thanks. Your message is saved."]
    assert len(graph.read_receipts()) == 1
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 1


def test_first_messages_of_a_new_conversation_racing_create_one_conversation(member, queued):
    bodies = [fresh("messages__text", id=f"wamid.race{i}", text={"body": f"message {i}"}) for i in range(THREADS)]

    statuses = post_at_once(bodies)

    assert statuses == [200] * THREADS
    conversation = Conversation.objects.get()
    assert conversation.messages.filter(direction=Message.Direction.INBOUND).count() == THREADS
    assert conversation.user == member
    assert queued.call_count == THREADS


def test_statuses_racing_in_parallel_leave_the_message_at_its_latest_with_every_time(db):
    from tests.whatsapp.test_statuses import SENT_AT, WAMID, at, status_body
    from whatsapp.models import StatusUpdate

    conversation = Conversation.objects.create(phone_number_id="106540352242922", contact_key="16505551234",
                                               wa_id="16505551234")
    message = Message.objects.create(conversation=conversation, direction="out", type="text", wamid=WAMID,
                                     text="Yes, in blue and green.", status="queued", timestamp=at(SENT_AT))
    reports = [status_body(name, timestamp=SENT_AT + offset)
               for name, offset in (("read", 30), ("delivered", 20), ("sent", 10), ("read", 30))]

    statuses = post_at_once(reports * 2)

    assert statuses == [200] * 8
    assert sorted(StatusUpdate.objects.values_list("status", flat=True)) == ["delivered", "read", "sent"]
    message.refresh_from_db()
    assert (message.status, message.sent_at, message.delivered_at, message.read_at) == (
        "read", at(SENT_AT + 10), at(SENT_AT + 20), at(SENT_AT + 30))
