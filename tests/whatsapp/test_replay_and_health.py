"""Replaying stored webhook bodies, the health and readiness probes, and a database outage at intake."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone

from config import health
from config.celery import app as celery_app
from tests.conftest import fresh
from whatsapp.heartbeat import worker_heartbeat_record
from whatsapp.models import Message, StatusUpdate, WebhookEvent, WorkerHeartbeat

pytestmark = pytest.mark.django_db


def replay(*ids) -> str:
    from io import StringIO

    out = StringIO()
    call_command("replay_webhook", *[str(i) for i in ids], stdout=out)
    return out.getvalue()


# --- replay_webhook ---------------------------------------------------------------------------------
def test_replay_stores_again_what_a_stored_event_contains(signed_post):
    signed_post(fresh("messages__text"))
    event = WebhookEvent.objects.get()
    Message.objects.all().delete()
    output = replay(event.pk)
    message = Message.objects.get()
    assert message.text == "Does it come in another color?"
    assert message.webhook_event == event
    assert "1 new message(s)" in output
    event.refresh_from_db()
    assert event.replayed_at is not None


def test_replaying_an_intact_event_stores_nothing_twice(signed_post):
    document = json.loads(fresh("messages__text"))
    document["entry"][0]["changes"][0]["value"]["statuses"] = [
        {"id": "wamid.out", "status": "delivered", "timestamp": "1750030073", "recipient_id": "16505551234"}]
    signed_post(json.dumps(document).encode())
    event = WebhookEvent.objects.get()
    output = replay(event.pk)
    assert Message.objects.count() == 1
    assert StatusUpdate.objects.count() == 1
    assert WebhookEvent.objects.count() == 1
    assert "0 new message(s), 1 already stored" in output


def test_replaying_an_unknown_event_is_an_error():
    with pytest.raises(CommandError, match="No webhook event with id 9999"):
        replay(9999)


def test_replaying_a_rejected_body_is_an_error(signed_post):
    signed_post(b"not json")
    event = WebhookEvent.objects.get(status=WebhookEvent.Status.REJECTED)
    with pytest.raises(CommandError, match="cannot be replayed"):
        replay(event.pk)


# --- probes -----------------------------------------------------------------------------------------
def test_health_answers_200_json(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


@pytest.fixture
def worker_alive(db):
    """A worker wrote its heartbeat a moment ago (whatsapp.heartbeat)."""
    worker_heartbeat_record(hostname="celery@worker-1", pid=4242)


def test_readiness_answers_200_when_the_database_broker_and_a_worker_answer(client, worker_alive):
    response = client.get("/readiness/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "broker": True, "worker": True}}


def test_readiness_answers_503_with_the_reason_when_no_worker_sent_a_heartbeat_recently(client, worker_alive,
                                                                                        settings):
    settings.WORKER_HEARTBEAT_STALE_SECONDS = 120
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(seconds=300))
    response = client.get("/readiness/")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database": True, "broker": True, "worker": False}
    assert body["reasons"]["worker"].startswith("no worker heartbeat for 300 s (the newest from celery@worker-1;")


def test_readiness_on_a_box_where_no_worker_ever_ran_says_to_start_one(client):
    response = client.get("/readiness/")
    assert response.status_code == 503
    assert response.json()["reasons"] == {
        "worker": "no worker has sent a heartbeat yet: start one (see the Procfile's worker)"}


def test_readiness_leaves_workers_unchecked_when_the_staleness_is_zero(client, settings):
    settings.WORKER_HEARTBEAT_STALE_SECONDS = 0  # a box that runs the web process only
    response = client.get("/readiness/")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"] is True


@pytest.fixture
def unreachable_broker(monkeypatch):
    # Nothing listens on port 1: a real connection attempt, refused.
    # Celery reads CELERY_BROKER_URL from the environment before its own setting (as under .ci/run).
    previous = celery_app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    celery_app.conf.broker_url = previous


def test_readiness_answers_503_when_the_broker_is_unreachable(client, unreachable_broker, worker_alive):
    response = client.get("/readiness/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": True, "broker": False, "worker": True},
                               "reasons": {"broker": "the broker does not answer"}}


class BrokenConnection:
    def cursor(self):
        raise OperationalError("could not connect to server: Connection refused")


def test_readiness_answers_503_when_the_database_check_fails(client, monkeypatch, worker_alive):
    monkeypatch.setattr(health, "connection", BrokenConnection())
    response = client.get("/readiness/")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": False, "broker": True, "worker": True}
    assert response.json()["reasons"] == {"database": "the database does not answer"}
    assert response.json()["status"] == "unavailable"


# --- database outage at intake ------------------------------------------------------------------------
def test_the_webhook_answers_503_when_the_database_is_down_so_meta_retries(signed_post, monkeypatch, caplog):
    def down(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("whatsapp.views.webhook_receive", down)
    response = signed_post(fresh("messages__text"))
    assert response.status_code == 503
    assert response.json() == {"status": "error", "reason": "temporarily unavailable"}
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
