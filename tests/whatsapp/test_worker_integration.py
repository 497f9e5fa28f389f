"""End to end with a real Celery worker on a real broker: a signed webhook in, the reply out at Graph.

Runs when CELERY_BROKER_URL names a broker (e.g. redis://127.0.0.1:6379/0), on SQLite or
PostgreSQL; skipped otherwise. Graph is a local HTTP server (tests/fakes/graph_server.py).
"""

import os
from unittest import mock

import pytest

from tests.brokers import wait_until
from tests.conftest import fresh
from tests.whatsapp.conftest import worker_idle
from whatsapp.models import Message, WebhookEvent, WorkerHeartbeat

pytestmark = [pytest.mark.slow, pytest.mark.broker, pytest.mark.django_db(transaction=True)]

ACK = "Got it, thanks. Your message is saved."  # the channel's default handler (tests/conftest.py)


def answered(graph_server) -> None:
    """Wait for a reply Graph accepted, then for the worker to finish whatever else it would do."""
    graph_server.wait_for(graph_server.accepted_texts, timeout=20)
    worker_idle()


def test_a_signed_webhook_is_answered_by_the_worker(celery_worker, graph_server, signed_post, member, settings):
    response = signed_post(fresh("messages__text"))

    assert response.status_code == 200
    answered(graph_server)
    assert graph_server.texts() == [ACK]
    assert len(graph_server.read_receipts()) == 1
    inbound = Message.objects.get(direction=Message.Direction.INBOUND)
    assert inbound.status == Message.Status.HANDLED
    assert graph_server.read_receipts()[0]["message_id"] == inbound.wamid
    out = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert out.status == Message.Status.SENT
    assert [out.wamid] == graph_server.wamids()
    assert out.in_reply_to == inbound
    send = graph_server.accepted()[0]
    assert send.path == f"/{settings.WHATSAPP_API_VERSION}/{inbound.conversation.phone_number_id}/messages"
    assert send.headers["Authorization"] == "Bearer test-access-token"
    assert send.body["to"] == "+16505551234"


def test_a_redelivered_webhook_is_not_answered_twice(celery_worker, graph_server, signed_post, member):
    body = fresh("messages__text")

    assert signed_post(body).status_code == 200
    assert signed_post(body).status_code == 200  # Meta retries before we answered
    answered(graph_server)
    assert signed_post(body).status_code == 200  # and again after
    worker_idle()

    assert graph_server.texts() == [ACK]
    assert len(graph_server.read_receipts()) == 1
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 1
    assert WebhookEvent.objects.count() == 3


def test_a_graph_failure_is_retried_by_the_worker_and_answered_once(celery_worker, graph_server, signed_post,
                                                                    member):
    graph_server.fail_next(1, status=500)

    with mock.patch("whatsapp.outbound.sender.backoff_seconds", return_value=0.2):
        assert signed_post(fresh("messages__text")).status_code == 200
        answered(graph_server)

    assert [r.status for r in graph_server.requests if r.body and r.body.get("type") == "text"] == [500, 200]
    assert graph_server.accepted_texts() == [ACK]
    out = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert out.status == Message.Status.SENT
    assert out.attempts == 2
    assert [out.wamid] == graph_server.wamids()
    assert out.error_code is None



def test_a_running_worker_writes_its_heartbeat_and_readiness_counts_it(celery_worker, client):
    def beat():
        return WorkerHeartbeat.objects.filter(hostname=celery_worker.hostname).first()

    heartbeat = wait_until(beat, timeout=10, message="the worker's first heartbeat")
    assert heartbeat.pid == os.getpid()  # the embedded worker runs in this process
    response = client.get("/readiness/")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"] is True
