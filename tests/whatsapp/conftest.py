import logging
import os
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from config.celery import app as celery_app
from tests.fakes.graph_server import GraphServer


@pytest.fixture
def graph_server(graph, settings):
    """Graph as a real HTTP server on 127.0.0.1; the app (and any worker thread) talks to it."""
    with GraphServer() as server:
        # The autouse `responses` fake refuses every host; this one is let through to the socket.
        graph.mock.add_passthru(server.url)
        settings.WHATSAPP_API_BASE_URL = server.url
        yield server


@contextmanager
def _logging_left_alone():
    """Start a worker without it reconfiguring this process's logging.

    Celery sets up logging unless a `setup_logging` receiver exists, and its Django fixup calls
    django.setup() again, which re-applies settings.LOGGING and drops pytest's root handlers.
    """
    def leave_alone(**kwargs):
        return None

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    saved_env = {key: os.environ.get(key) for key in ("CELERY_LOG_LEVEL", "CELERY_LOG_FILE")}
    signals.setup_logging.connect(leave_alone, weak=False)

    def restore():
        root.setLevel(level)
        root.handlers[:] = handlers

    try:
        yield restore
    finally:
        signals.setup_logging.disconnect(leave_alone)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _queue_cleared(name: str, *, delete: bool = False) -> None:
    options = celery_app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):  # kombu's filesystem broker
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        queue = celery_app.amqp.queues[name](connection.default_channel)
        queue.declare()  # binds it on this channel, so delete() also removes the binding
        queue.purge()
        if delete:
            queue.delete()
    control = options.get("control_folder")
    if delete and control:  # kombu's filesystem broker keeps an empty exchange file behind
        Path(control, f"{name}.exchange").unlink(missing_ok=True)


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (threads in this process) on the real broker, for tests marked `broker`.

    Tasks go to a queue of this test's own, so a worker of another test run (or a real one on
    the same broker) never takes them, nor this one theirs; it is purged before and deleted after.
    Rows the test creates are committed (transactional_db) so the worker's connections see them.
    """
    conf = celery_app.conf
    assert not conf.task_always_eager, "tests using a real worker must be marked `broker` (eager mode is off then)"
    queues = celery_app.amqp.queues  # the worker's queues=[...] selects on it for good: restored after
    saved = conf.task_default_queue, conf.worker_enable_remote_control, queues._consume_from
    name = f"test.worker.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    conf.task_default_queue = name
    conf.worker_enable_remote_control = False  # no pidbox queue left behind, no stray broadcasts
    worker = None
    try:
        _queue_cleared(name)
        with _logging_left_alone() as logging_restore:
            with start_worker(celery_app, pool="threads", concurrency=2, perform_ping_check=False,
                              queues=[name], loglevel="WARNING", shutdown_timeout=30) as worker:
                logging_restore()
                yield worker
    finally:
        # The worker stops by "terminate", which leaves the thread pool's threads idle: end them.
        executor = getattr(getattr(worker, "pool", None), "executor", None)
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        conf.task_default_queue, conf.worker_enable_remote_control, queues._consume_from = saved
        try:
            _queue_cleared(name, delete=True)
        finally:
            queues.pop(name, None)


def worker_idle(*, quiet_for: float = 0.5, timeout: float = 20.0) -> None:
    """Wait until the embedded worker has had nothing reserved or running for `quiet_for` seconds."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        busy = worker_state.active_requests or worker_state.reserved_requests
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_for:
            return
        time.sleep(0.02)
    raise AssertionError(f"The worker was still busy after {timeout} s")


# --- a worker process on a broker of the test's own ------------------------------------------------
@contextmanager
def app_on_broker(url: str, queue: str):
    """Point this process's Celery app (what the webhook view sends with) at `url` and `queue`.

    Celery reads CELERY_BROKER_URL from the environment before its own setting, so both change.
    """
    from config.broker import transport_for

    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport, conf.broker_transport_options, conf.task_default_queue,
             os.environ.get("CELERY_BROKER_URL"))

    def drop_pools(*, close: bool):
        # kombu keeps one pool per broker URL for the whole process: the usual broker's are only
        # let go of (they are used again afterwards), the test broker's are closed.
        if close and celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    drop_pools(close=False)
    os.environ["CELERY_BROKER_URL"] = url
    conf.broker_url, conf.broker_transport = url, transport_for(url)
    conf.broker_transport_options = {"visibility_timeout": 3600}
    conf.task_default_queue = queue
    try:
        yield
    finally:
        drop_pools(close=True)
        conf.broker_url, conf.broker_transport, conf.broker_transport_options, conf.task_default_queue, env = saved
        if env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = env
        celery_app.amqp.queues.pop(queue, None)


def _database_url() -> str:
    """The test database, as a DATABASE_URL another process can open."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_process(transactional_db, graph_server, settings, tmp_path):
    """Start `celery -A config worker` processes on the test database, answering with
    tests.slow_handler (each turn written down in `tmp_path / "turns.log"`) and sending to
    graph_server. They are stopped when the test ends."""
    from tests.brokers import WorkerProcess

    started = []
    base = {key: value for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "WHATSAPP_", "CELERY_", "OPENAI_", "DATABASE_", "TEST_"))}
    base.update(
        DATABASE_URL=_database_url(), DJANGO_DEBUG="0", PYTHONUNBUFFERED="1",
        NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
        WHATSAPP_SANDBOX="0", WHATSAPP_APP_SECRET=settings.WHATSAPP_APP_SECRET,
        WHATSAPP_VERIFY_TOKEN=settings.WHATSAPP_VERIFY_TOKEN, WHATSAPP_ACCESS_TOKEN=settings.WHATSAPP_ACCESS_TOKEN,
        WHATSAPP_PHONE_NUMBER_ID=settings.WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_API_BASE_URL=graph_server.url,
        WHATSAPP_API_VERSION=settings.WHATSAPP_API_VERSION, WHATSAPP_REPLY_HANDLER="tests.slow_handler.reply",
        TEST_TURN_LOG=str(tmp_path / "turns.log"),
    )

    def start(*, broker_url: str, queue: str, **env) -> WorkerProcess:
        worker = WorkerProcess(broker_url=broker_url, queue=queue, env={**base, **env},
                               log=tmp_path / f"worker-{len(started) + 1}.log")
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def latest_schema_afterwards():
    """The test moves the schema back; later tests need every migration applied again."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
