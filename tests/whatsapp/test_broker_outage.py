"""The worker outlives a broker outage: it keeps running (the same process) and answers every
message exactly once.

The Redis tests start a redis-server of their own on a free port and kill it; the RabbitMQ test
puts a TCP proxy in front of the shared RabbitMQ (TEST_RABBITMQ_URL, default the local one) and
cuts it, and is skipped when no RabbitMQ answers. The shared services are never stopped.
"""

import os
import socket
import time
import uuid
from urllib.parse import urlsplit

import pytest
from celery.utils.threads import bound_open_broker_sockets
from kombu import Connection, Exchange, Queue
from django.utils import timezone
from kombu.common import ignore_errors

from config.broker import REDIS_TRANSPORT
from tests.brokers import RedisServer, TcpProxy, wait_until
from tests.conftest import fresh
from tests.slow_handler import turns
from tests.whatsapp.conftest import _queue_cleared, app_on_broker
from whatsapp.models import Message, WorkerHeartbeat
from whatsapp.sweeper import sweep

needs_redis_server = pytest.mark.skipif(not RedisServer.available, reason="needs the redis-server binary")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL") or "amqp://guest:guest@127.0.0.1:5672//"


# --- the kombu defect, replayed step by step -------------------------------------------------------
def lose_redis_under_a_worker(redis: RedisServer, transport: str):
    """Kill Redis under a consumer laid out as a Celery worker's, then tear the connection down as
    Celery's consumer does on a connection error (Consumer.on_connection_error_after_connected).

    The worker's connection has the task channel (a late-acknowledged message delivered and not
    yet acknowledged, and a BRPOP in flight, as the event loop always has) and the remote-control
    channel (an auto-delete fanout queue it listens on). Returns the task channel.
    """
    tasks = Queue("tasks", Exchange("tasks"), "tasks")
    with Connection(redis.url, transport=transport) as publisher:
        publisher.Producer().publish({"task": "turn"}, exchange=tasks.exchange, routing_key="tasks",
                                     declare=[tasks])
    connection = Connection(redis.url, transport=transport)
    delivered = []
    task_channel = connection.default_channel
    task_channel.basic_qos(prefetch_count=1)
    connection.Consumer([tasks], callbacks=[lambda body, message: delivered.append(message)]).consume()
    remote_control = connection.channel()
    broadcasts = Queue(f"pidbox.{uuid.uuid4().hex[:8]}", Exchange("pidbox", type="fanout"), auto_delete=True)
    connection.Consumer([broadcasts], channel=remote_control, no_ack=True, callbacks=[]).consume()
    while not delivered:
        connection.drain_events(timeout=5)
    task_channel._brpop_start()
    remote_control._subscribe()

    redis.kill()

    # celery/worker/consumer/consumer.py, on_connection_error_after_connected:
    bound_open_broker_sockets(connection, 1.0)
    try:
        connection.collect(socket_timeout=1.0)
    except Exception:
        pass
    ignore_errors(connection, connection.close)  # only connection and channel errors are ignored
    return task_channel


@needs_redis_server
def test_a_worker_connection_closed_after_redis_went_away_reports_a_connection_error(tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        task_channel = lose_redis_under_a_worker(redis, REDIS_TRANSPORT)  # nothing escapes: Celery reconnects
        assert task_channel.closed

        # The message it could not put back is still Redis's, unacknowledged: it returns after the
        # visibility timeout (and the sweeper re-queues the work sooner).
        redis.start()
        with Connection(redis.url, transport=REDIS_TRANSPORT) as connection:
            assert connection.default_channel.client.hlen("unacked") == 1
    finally:
        redis.stop()


@needs_redis_server
def test_kombus_own_redis_transport_still_needs_the_workaround(tmp_path):
    """When this fails, kombu fixed the defect: config/broker.py can go (see its docstring)."""
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'hostname'"):
            lose_redis_under_a_worker(redis, "redis")
    finally:
        redis.stop()


@needs_redis_server
def test_a_channel_sends_through_one_redis_client_and_every_message_arrives(tmp_path):
    """kombu builds a Redis client for every command; the project's transport keeps one per open channel."""
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        queue = Queue("kept", Exchange("kept"), "kept")
        with Connection(redis.url, transport=REDIS_TRANSPORT) as connection:
            channel = connection.default_channel
            producer = connection.Producer(channel)
            clients = []
            for n in range(3):
                producer.publish({"n": n}, exchange=queue.exchange, routing_key="kept", declare=[queue])
                with channel.conn_or_acquire() as client:
                    clients.append(client)
            assert all(client is clients[0] for client in clients)
            assert channel.client.llen("kept") == 3
    finally:
        redis.stop()


# --- a real worker, a real outage ---------------------------------------------------------------------
def rabbitmq_reachable() -> bool:
    parts = urlsplit(RABBITMQ_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 5672), timeout=1):
            pass
        with Connection(RABBITMQ_URL, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


class Outage:
    """A broker the test can take away and bring back: `url`, `cut()`, `restore()`, `stop()`."""

    def __init__(self, server, url: str):
        self.server, self.url = server, url

    def cut(self):
        self.server.cut()

    def restore(self):
        self.server.restore()

    def stop(self):
        self.server.stop()


@pytest.fixture(params=["redis", "rabbitmq"])
def outage(request, tmp_path):
    if request.param == "redis":
        if not RedisServer.available:
            pytest.skip("needs the redis-server binary")
        server = RedisServer(tmp_path)
        server.start()
        broker = Outage(server, server.url)
    else:
        if not rabbitmq_reachable():
            pytest.skip(f"no RabbitMQ answers at {RABBITMQ_URL} (set TEST_RABBITMQ_URL)")
        parts = urlsplit(RABBITMQ_URL)
        proxy = TcpProxy((parts.hostname, parts.port or 5672))
        proxy.start()
        broker = Outage(proxy, parts._replace(netloc=f"{parts.netloc.rsplit('@', 1)[0]}@127.0.0.1:{proxy.port}")
                        .geturl())
    yield broker
    broker.stop()


def answers(graph_server) -> list[str]:
    return sorted(graph_server.accepted_texts())


@pytest.mark.slow
@pytest.mark.broker
def test_the_worker_outlives_a_broker_outage_and_answers_every_message_once(
        outage, worker_process, graph_server, signed_post, member, tmp_path):
    queue = f"test.outage.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    texts = [f"Message {n}" for n in range(4)]
    with app_on_broker(outage.url, queue):
        worker = worker_process(broker_url=outage.url, queue=queue, TEST_TURN_SECONDS="3",
                                WORKER_HEARTBEAT_STALE_SECONDS="8")  # a heartbeat every 2 s
        for n, text in enumerate(texts[:3]):
            assert signed_post(fresh("messages__text", id=f"wamid.outage.{n}", text={"body": text})).status_code == 200
        wait_until(lambda: turns(tmp_path / "turns.log"), timeout=20, message="the first turn to start")

        outage.cut()  # the turn is in flight: it finishes during the outage and cannot be acknowledged
        time.sleep(4)
        # A message that comes in meanwhile is stored and answered 200; its task cannot be sent.
        assert signed_post(fresh("messages__text", id="wamid.outage.3", text={"body": texts[3]})).status_code == 200
        outage.restore()
        restored_at = timezone.now()

        # Beat runs the sweeper every half minute; here it runs until everything is answered.
        def all_answered():
            sweep(older_than_seconds=0)
            return len(graph_server.accepted_texts()) >= len(texts)

        wait_until(all_answered, timeout=90, interval=2, message="every message to be answered")
        time.sleep(3)  # anything redelivered after that would show up as a second answer
        try:
            _queue_cleared(queue, delete=True)
        except Exception:
            pass  # a broker of the test's own goes away with it

    assert worker.alive(), worker.output()[-3000:]
    assert worker.process.pid == worker.pid
    assert "Unrecoverable error" not in worker.output()
    assert "Connection to broker lost" in worker.output()  # there was an outage, and it was survived
    assert answers(graph_server) == sorted(f"Answer to: {text}" for text in texts)
    assert sorted(turns(tmp_path / "turns.log")) == sorted(f"wamid.outage.{n}" for n in range(4))
    assert Message.objects.filter(direction="in", status="handled").count() == 4
    assert Message.objects.filter(direction="out").count() == 4
    # Connected again, the worker says it is alive again.
    assert WorkerHeartbeat.objects.get(pid=worker.pid).seen_at > restored_at
