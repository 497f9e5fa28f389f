"""Short leases kept renewed: a live slow turn is never taken over, a dead worker's message is
answered soon after its lease runs out (within 2 minutes with the default settings)."""

import os
import threading
import time
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from tests.brokers import RedisServer, wait_until
from tests.conftest import fresh
from tests.slow_handler import turns
from tests.whatsapp.conftest import app_on_broker
from whatsapp.leases import LeaseKept, lease_acquire
from whatsapp.models import Conversation, Message
from whatsapp.leases import BUSY_RETRY_SECONDS
from whatsapp.inbound import inbound_handle
from whatsapp.replies import Reply
from whatsapp.sweeper import sweep

TURNS: list[str] = []


def slow_turn(conversation, message):
    """A turn that takes three times the (shortened) lease, as a slow model call does."""
    TURNS.append(message.wamid)
    time.sleep(3)
    return Reply(text=f"Answer to: {message.text}")


# --- the defaults keep the promise --------------------------------------------------------------------
def test_by_default_a_dead_workers_message_is_picked_up_within_two_minutes():
    """Worst case after the death: its lease runs out (a renewal just before it died), the message
    becomes old enough to sweep, and the next sweep comes; the new turn then has half a minute."""
    lease = django_settings.WHATSAPP_INBOUND_LEASE_SECONDS
    old_enough = django_settings.WHATSAPP_SWEEP_AFTER_SECONDS
    sweep_every = celery_app.conf.beat_schedule["whatsapp-sweep"]["schedule"]
    assert sweep_every == django_settings.WHATSAPP_SWEEP_EVERY_SECONDS
    assert max(lease, old_enough) + sweep_every <= 90


# --- the lease is kept while the holder works ---------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_kept_lease_is_renewed_while_its_holder_works(member):
    conversation = Conversation.objects.create(phone_number_id="1", contact_key="c1")
    token = lease_acquire(conversation.pk, "inbound_lease_until", 1)
    with LeaseKept(conversation.pk, "inbound_lease_until", token, 1) as kept:
        time.sleep(1.6)  # longer than the lease itself
        assert lease_acquire(conversation.pk, "inbound_lease_until", 1) is None  # nobody else gets it
    assert kept.token > token
    conversation.refresh_from_db()
    assert conversation.inbound_lease_until == kept.token


@pytest.mark.django_db(transaction=True)
def test_a_kept_lease_is_no_longer_renewed_after_the_longest_a_task_may_run(member):
    conversation = Conversation.objects.create(phone_number_id="1", contact_key="c1")
    token = lease_acquire(conversation.pk, "inbound_lease_until", 1)
    with LeaseKept(conversation.pk, "inbound_lease_until", token, 1, longest=0.5):
        time.sleep(2)  # the worker would have killed this task by now: its lease runs out
        assert lease_acquire(conversation.pk, "inbound_lease_until", 1) is not None


@pytest.mark.django_db(transaction=True)
def test_a_holder_whose_lease_was_taken_over_is_told_to_stop(member):
    conversation = Conversation.objects.create(phone_number_id="1", contact_key="c1")
    token = lease_acquire(conversation.pk, "inbound_lease_until", 60)
    with LeaseKept(conversation.pk, "inbound_lease_until", token, 60) as kept:
        Conversation.objects.filter(pk=conversation.pk).update(
            inbound_lease_until=timezone.now() + timedelta(seconds=60))  # another worker's
        assert kept.renew() is False
        assert kept.lost


# --- a slow live turn is not taken over -------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_slow_live_turn_longer_than_the_lease_is_not_handled_twice(signed_post, member, graph, settings):
    settings.WHATSAPP_INBOUND_LEASE_SECONDS = 1
    settings.WHATSAPP_REPLY_HANDLER = "tests.whatsapp.test_leases.slow_turn"
    TURNS.clear()
    with mock.patch("whatsapp.tasks.inbound_handle_task.delay"):  # the worker's task, started below
        signed_post(fresh("messages__text"))
    message = Message.objects.get(direction="in")

    def worker():
        try:
            inbound_handle(message_id=message.pk)  # the turn takes 3 s, three times the lease
        finally:
            connection.close()

    turn = threading.Thread(target=worker)
    turn.start()
    wait_until(lambda: TURNS, timeout=5, message="the turn to start")
    time.sleep(1.5)  # the lease would have run out by now, were it not renewed
    assert sweep(older_than_seconds=0).inbound == 0  # the sweeper leaves a held conversation alone
    assert inbound_handle(message_id=message.pk) == BUSY_RETRY_SECONDS  # a redelivered task waits
    turn.join(timeout=10)

    assert TURNS == [message.wamid]
    message.refresh_from_db()
    assert message.status == "handled" and message.attempts == 1
    assert graph.texts() == ["Answer to: Does it come in another color?"]


# --- a dead worker's message is picked up after the lease ---------------------------------------------
@pytest.mark.slow
@pytest.mark.broker
@pytest.mark.skipif(not RedisServer.available, reason="needs the redis-server binary")
def test_a_killed_workers_message_is_picked_up_after_the_lease(worker_process, graph_server, signed_post, member,
                                                               tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    queue = f"test.lease.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    log = tmp_path / "turns.log"
    try:
        with app_on_broker(redis.url, queue):
            doomed = worker_process(broker_url=redis.url, queue=queue, TEST_TURN_SECONDS="60",
                                    WHATSAPP_INBOUND_LEASE_SECONDS="4")
            assert signed_post(fresh("messages__text")).status_code == 200
            wait_until(lambda: turns(log), timeout=20, message="the turn to start")
            doomed.kill()  # the whole worker, mid-turn
            lease_until = Conversation.objects.get().inbound_lease_until
            # Beat's sweeps: nothing is taken over while the dead worker's lease lasts...
            assert sweep(older_than_seconds=0).inbound == 0

            worker_process(broker_url=redis.url, queue=queue, WHATSAPP_INBOUND_LEASE_SECONDS="4")
            # ...and the message is, once it ran out.
            wait_until(lambda: sweep(older_than_seconds=0).inbound, timeout=15, interval=0.5,
                       message="the sweeper to pick the message up")
            assert timezone.now() >= lease_until
            graph_server.wait_for(graph_server.accepted_texts, timeout=20)
            time.sleep(2)  # a second answer would show up by now
    finally:
        redis.stop()

    message = Message.objects.get(direction="in")
    assert message.status == "handled"
    assert turns(log) == [message.wamid, message.wamid]  # the dead turn, then the one that finished
    assert graph_server.accepted_texts() == ["Answer to: Does it come in another color?"]
