import gc
import json
import time
from pathlib import Path

import pytest
import responses

from accounts.models import User
from config.celery import app as celery_app
from tests.fakes.graph import APP_ID, BASE_URL, PHONE_NUMBER_ID, VERSION, WABA_ID, FakeGraph
from whatsapp.signatures import sign

FIXTURES = Path(__file__).resolve().parent / "fixtures"
APP_SECRET = "test_app_secret"
VERIFY_TOKEN = "test-verify-token"
WEBHOOK_URL = "/webhooks/whatsapp/"


def pytest_collection_modifyitems(config, items):
    """Tests marked `broker` need a real broker, tests marked `postgres` PostgreSQL: skipped otherwise.

    The default broker (kombu's filesystem transport, no server) is a real one: the worker tests run
    on it with no services; with CELERY_BROKER_URL naming Redis they run on Redis."""
    from django.conf import settings

    skip_broker = None
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        skip_broker = pytest.mark.skip(
            reason="needs a real Celery broker: the default filesystem one, or CELERY_BROKER_URL=redis://...")
    skip_postgres = None
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        skip_postgres = pytest.mark.skip(
            reason="needs PostgreSQL: set DATABASE_URL=postgres://... (e.g. postgres://root@127.0.0.1:5432/test)")
    for item in items:
        if skip_broker and item.get_closest_marker("broker"):
            item.add_marker(skip_broker)
        if skip_postgres and item.get_closest_marker("postgres"):
            item.add_marker(skip_postgres)


def webhook_fixture(name: str) -> bytes:
    """The bytes of a real Meta payload, exactly as stored (and signed) in tests/fixtures/webhook."""
    return (FIXTURES / "webhook" / f"{name}.json").read_bytes()


def webhook_json(name: str) -> dict:
    return json.loads(webhook_fixture(name))


def as_body(document: dict) -> bytes:
    return json.dumps(document).encode()


def messages_of(document: dict) -> list[dict]:
    return [m for e in document["entry"] for c in e["changes"] for m in c["value"].get("messages", [])]


def fresh(name: str, *, at: int | None = None, **message_fields) -> bytes:
    """A fixture whose messages were sent just now (or at `at`), so the 24-hour window is open.

    `message_fields` replace fields of every message (e.g. id="wamid.other").
    """
    document = webhook_json(name)
    for message in messages_of(document):
        message["timestamp"] = str(at if at is not None else int(time.time()))
        message.update(message_fields)
    return as_body(document)


@pytest.fixture(autouse=True)
def channel_settings(settings):
    settings.WHATSAPP_APP_SECRET = APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = VERIFY_TOKEN
    settings.WHATSAPP_ACCESS_TOKEN = "test-access-token"
    settings.WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
    settings.WHATSAPP_BUSINESS_ACCOUNT_ID = WABA_ID
    settings.WHATSAPP_APP_ID = APP_ID
    settings.WHATSAPP_API_BASE_URL = BASE_URL
    settings.WHATSAPP_API_VERSION = VERSION
    settings.WHATSAPP_NOT_REGISTERED_REPLY = ""
    settings.SECURE_SSL_REDIRECT = False
    settings.OPENAI_API_KEY = ""
    # The channel is tested alone with its default handler; agent tests plug the assistant in.
    settings.WHATSAPP_REPLY_HANDLER = "whatsapp.replies.acknowledge"
    return settings


@pytest.fixture(scope="session")
def plain_http():
    """The live server speaks plain http: no redirect to https, cookies not https-only.

    Set before live_server starts, because SecurityMiddleware reads these when it is built."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0


@pytest.fixture
def sandbox_mode(settings):
    """Sandbox mode as settings.py sets it up when no access token is configured."""
    settings.WHATSAPP_SANDBOX = True
    settings.WHATSAPP_ACCESS_TOKEN = settings.WHATSAPP_SANDBOX_ACCESS_TOKEN
    settings.WHATSAPP_APP_SECRET = settings.WHATSAPP_SANDBOX_APP_SECRET
    return settings


@pytest.fixture
def sandbox_served(sandbox_mode, plain_http, live_server, graph):
    """Sandbox mode on a live server: the real Graph client reaches the project's own Graph stand-in
    over HTTP, and the stand-in's status webhooks reach the real webhook endpoint the same way."""
    graph.mock.add_passthru(live_server.url)
    sandbox_mode.WHATSAPP_SANDBOX_URL = live_server.url
    sandbox_mode.WHATSAPP_API_BASE_URL = f"{live_server.url}/sandbox/graph"
    yield live_server
    # The client keeps its connections alive: close them (a socket stays open while a response
    # object still refers to it, hence the collection), so the live server's threads end and give
    # their database connections back before the test database is dropped.
    from whatsapp.outbound.client import _shared_session

    _shared_session().close()
    gc.collect()


@pytest.fixture(autouse=True)
def person_limits_off(settings):
    """Per-person limits (agent.limits) are off unless a test sets them (tests/agent/test_limits.py):
    many tests send a conversation's worth of messages within a second."""
    settings.AGENT_LIMIT_MESSAGES_PER_MINUTE = 0
    settings.AGENT_LIMIT_MESSAGES_PER_DAY = 0
    settings.AGENT_LIMIT_TOKENS_PER_DAY = 0


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Tasks run inline unless a test is marked `broker` (then a real worker runs them)."""
    eager = request.node.get_closest_marker("broker") is None
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = eager
    celery_app.conf.task_eager_propagates = eager
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def graph():
    """Graph is a fake at the HTTP boundary in every test; any other host is refused."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGraph(mock)


@pytest.fixture
def signed_post(client):
    def post(body: bytes, *, signature: str | None = None, **extra):
        header = sign(body, APP_SECRET) if signature is None else signature
        return client.post(WEBHOOK_URL, data=body, content_type="application/json",
                           HTTP_X_HUB_SIGNATURE_256=header, **extra)

    return post


@pytest.fixture
def deliver(signed_post, django_capture_on_commit_callbacks):
    """Post a signed webhook and run what it queued after commit (inline tasks)."""
    def run(body: bytes):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = signed_post(body)
        return response, callbacks

    return run


@pytest.fixture
def member(db):
    """Sheena Nelson from Meta's sample payloads, on the allow-list as staff."""
    return User.objects.create_user(username="sheena", phone_number="+16505551234", first_name="Sheena",
                                    last_name="Nelson", role=User.Role.STAFF)


@pytest.fixture
def catalogue(db):
    """The project's templates approved in the catalogue (the re-engagement, reminder, summary,
    review outcome and invoice templates), as after `whatsapp_templates create` and Meta's approval."""
    from tests.catalogue_support import project_templates_approved

    return project_templates_approved()
