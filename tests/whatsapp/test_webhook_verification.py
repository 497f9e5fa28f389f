"""GET /webhooks/whatsapp/: Meta's subscription check."""

from tests.conftest import VERIFY_TOKEN, WEBHOOK_URL


def verify(client, **params):
    return client.get(WEBHOOK_URL, params)


def test_it_echoes_the_challenge_when_the_token_is_ours(client):
    response = verify(client, **{"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                 "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"


def test_it_echoes_the_challenge_exactly_as_a_string(client):
    challenge = "00042 odd-looking+challenge"
    response = verify(client, **{"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                 "hub.challenge": challenge})
    assert response.status_code == 200
    assert response.content.decode() == challenge


def test_it_refuses_a_wrong_verify_token(client):
    response = verify(client, **{"hub.mode": "subscribe", "hub.verify_token": "not-our-token",
                                 "hub.challenge": "1158201444"})
    assert response.status_code == 403
    assert b"1158201444" not in response.content


def test_it_refuses_a_mode_other_than_subscribe(client):
    response = verify(client, **{"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN,
                                 "hub.challenge": "1158201444"})
    assert response.status_code == 403
    assert b"1158201444" not in response.content


def test_it_refuses_a_request_without_parameters(client):
    assert verify(client).status_code == 403


def test_it_refuses_a_request_without_a_verify_token(client):
    response = verify(client, **{"hub.mode": "subscribe", "hub.challenge": "1158201444"})
    assert response.status_code == 403


def test_it_refuses_everyone_when_no_verify_token_is_configured(client, settings):
    settings.WHATSAPP_VERIFY_TOKEN = ""
    response = verify(client, **{"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
    assert response.status_code == 403
