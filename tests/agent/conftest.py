import pytest

from accounts.models import User
from tests.conftest import as_body, messages_of, webhook_json
from tests.fakes.graph import PHONE_NUMBER_ID
from tests.fakes.openai_server import FakeOpenAI

import time


@pytest.fixture
def fake_openai(settings):
    """The assistant plugged in, talking to a scripted OpenAI-compatible server on 127.0.0.1."""
    fake = FakeOpenAI()
    settings.WHATSAPP_REPLY_HANDLER = "agent.runner.reply"
    settings.OPENAI_API_KEY = "test-openai-key"
    settings.OPENAI_BASE_URL = fake.base_url
    settings.OPENAI_MODEL = "fake-model"
    settings.OPENAI_MAX_RETRIES = 0
    settings.OPENAI_TIMEOUT = 5
    yield fake
    fake.close()


@pytest.fixture
def assistant_without_llm(settings):
    settings.WHATSAPP_REPLY_HANDLER = "agent.runner.reply"
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = None


@pytest.fixture
def staff(db):
    """Sheena Nelson (wa_id 16505551234 in Meta's sample payloads), staff."""
    return User.objects.create_user(username="sheena", phone_number="+16505551234", first_name="Sheena",
                                    last_name="Nelson", role=User.Role.STAFF)


@pytest.fixture
def manager(db):
    """Test Name (wa_id 972987654321 in the media payloads), manager."""
    return User.objects.create_user(username="boss", phone_number="+972987654321", first_name="Maya",
                                    last_name="Boss", role=User.Role.MANAGER)


_counter = iter(range(1, 10**9))


def message_body(kind: str = "text", *, text: str | None = None, sender: str = "16505551234", **content) -> bytes:
    """A real Meta payload (tests/fixtures/webhook/messages__<kind>.json) from `sender` to our number,
    sent now, with a unique id and, for text, the given body."""
    document = webhook_json(f"messages__{kind}")
    value = document["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = PHONE_NUMBER_ID  # Meta's media samples name another number
    for contact in value.get("contacts", []):
        contact["wa_id"] = sender
    for message in messages_of(document):
        message["from"] = sender
        message["id"] = f"wamid.test{next(_counter)}"
        message["timestamp"] = str(int(time.time()))
        if text is not None:
            message["text"] = {"body": text}
        for key, val in content.items():
            message[message["type"]][key] = val
    return as_body(document)


@pytest.fixture
def say(deliver):
    """The person sends `text` (or another payload kind) on WhatsApp; returns the webhook response."""
    def send(text: str | None = None, *, kind: str = "text", sender: str = "16505551234", **content):
        response, _ = deliver(message_body(kind, text=text, sender=sender, **content))
        assert response.status_code == 200
        return response

    return send


@pytest.fixture
def api_client_for(db):
    """A REST API client logged in (by token) as the given person."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def login(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        return client

    return login
