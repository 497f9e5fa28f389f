"""The Celery app is set for at-least-once delivery, and tasks are queued only after commit."""

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from config.celery import app as celery_app
from tests.conftest import fresh
from whatsapp.models import Conversation, Message
from whatsapp.outbound import retry
from whatsapp.outbound.queue import outbound_queue
from whatsapp.replies import Reply

ROOT = Path(__file__).resolve().parent.parent

# Prints the Celery configuration as the app builds it from settings, for a given environment.
CONF_SCRIPT = """
import json
from config.celery import app
conf = app.conf
print(json.dumps({
    "broker_url": conf.broker_url,
    "broker_transport_options": conf.broker_transport_options,
    "result_backend": conf.result_backend,
    "result_backend_transport_options": conf.result_backend_transport_options,
    "task_time_limit": conf.task_time_limit,
    "task_soft_time_limit": conf.task_soft_time_limit,
}))
"""


def celery_conf_with(broker_url: str) -> dict:
    """The app's configuration in a fresh process whose CELERY_BROKER_URL is `broker_url` (no connection)."""
    env = {**os.environ, "CELERY_BROKER_URL": broker_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run([sys.executable, "-c", CONF_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def project_tasks():
    return [task for name, task in sorted(celery_app.tasks.items()) if not name.startswith("celery.")]


def longest_countdown() -> float:
    """The longest delay any of our tasks asks the broker to hold a message for."""
    db_backoff = max(getattr(task, "retry_backoff_max", 0) or 0 for task in project_tasks())
    return max(retry.MAX_COUNTDOWN, retry.pair_limit_seconds(99), db_backoff)


def test_tasks_are_acknowledged_only_after_they_finish():
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert project_tasks(), "no project tasks registered"
    for task in project_tasks():
        assert task.acks_late is True, task.name
        assert task.reject_on_worker_lost is True, task.name


def test_a_worker_reserves_one_message_at_a_time():
    assert celery_app.conf.worker_prefetch_multiplier == 1


def test_messages_are_json_only():
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.result_serializer == "json"
    assert list(celery_app.conf.accept_content) == ["json"]


def test_a_task_is_killed_before_the_broker_would_deliver_it_again():
    conf = celery_app.conf
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    visibility = (conf.broker_transport_options or {}).get("visibility_timeout")
    if visibility is not None:
        # A message with a countdown sits unacknowledged in the worker, then runs: both must fit.
        assert visibility > longest_countdown() + conf.task_time_limit


@pytest.mark.slow  # a Python process of its own
def test_on_redis_every_countdown_and_time_limit_stays_under_the_visibility_timeout():
    broker_url = "redis://127.0.0.1:6379/0"
    conf = celery_conf_with(broker_url)

    assert conf["broker_url"] == broker_url
    visibility = conf["broker_transport_options"].get("visibility_timeout")
    assert visibility is not None, "set it explicitly: Redis redelivers unacknowledged tasks after it"
    # A message with a countdown sits unacknowledged in the worker, then runs: both must fit.
    assert visibility > longest_countdown() + conf["task_time_limit"]
    if str(conf["result_backend"] or "").startswith("redis"):
        assert conf["result_backend_transport_options"].get("visibility_timeout") == visibility


def test_the_inbound_task_is_queued_only_after_commit(signed_post, member, django_capture_on_commit_callbacks):
    with mock.patch("whatsapp.tasks.inbound_handle_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = signed_post(fresh("messages__text"))
        assert response.status_code == 200
        assert delay.call_count == 0

        for callback in callbacks:
            callback()

    delay.assert_called_once_with(Message.objects.get(direction=Message.Direction.INBOUND).pk)


def test_a_reply_is_sent_only_after_commit(signed_post, member, django_capture_on_commit_callbacks):
    with mock.patch("whatsapp.tasks.inbound_handle_task.delay"):
        signed_post(fresh("messages__text"))
    conversation = Conversation.objects.get()

    with mock.patch("whatsapp.tasks.outbound_send_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            outbound_queue(conversation=conversation, reply=Reply(text="Hello"))
        assert delay.call_count == 0

        for callback in callbacks:
            callback()

    delay.assert_called_once_with(conversation.pk)


def test_every_celery_setting_in_django_settings_reaches_celery_under_its_own_name():
    from celery.app.defaults import DEFAULTS
    from django.conf import settings

    names = [name for name in dir(settings) if name.startswith("CELERY_")]
    assert "CELERY_TASK_ACKS_LATE" in names
    for name in names:
        key = name.removeprefix("CELERY_").lower()
        assert key in DEFAULTS, f"{name} is not a Celery setting: Celery would ignore it"
        if key != "task_always_eager":  # the tests switch that one on the app itself
            assert celery_app.conf[key] == getattr(settings, name), name


def test_a_setting_overridden_in_django_reaches_celery(settings):
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 123
    assert celery_app.conf.task_soft_time_limit == 123
