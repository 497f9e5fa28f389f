"""POST /webhooks/whatsapp/: the X-Hub-Signature-256 check and what happens to bodies it refuses."""

import logging

import pytest

from tests.conftest import APP_SECRET, as_body, fresh, webhook_fixture
from whatsapp.models import Message, WebhookEvent
from whatsapp.signatures import sign

pytestmark = pytest.mark.django_db


# --- the test vectors of the protocol notes ------------------------------------------------------
def test_it_signs_an_empty_batch_as_meta_does():
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    assert sign(body, "test_app_secret") == (
        "sha256=dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633756"
    )


def test_it_signs_escaped_non_ascii_as_sent():
    body = b'{"text":{"body":"caf\\u00e9"}}'
    assert sign(body, "test_app_secret") == (
        "sha256=d36eb0f4e8ed7a1458654758c875f8906c154262156b732bbdf52856281cd3fb"
    )


def test_it_signs_raw_utf8_differently_from_the_escaped_form():
    body = '{"text":{"body":"café"}}'.encode()
    assert sign(body, "test_app_secret") == (
        "sha256=d0c411924f46299702b190bbe4b5da59c4bb5641ea114e4e11535ad85929c4f0"
    )


# --- the view ---------------------------------------------------------------------------------------
def test_it_accepts_a_correctly_signed_body(signed_post):
    response = signed_post(fresh("messages__text"))
    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert Message.objects.filter(direction="in").count() == 1


def test_it_accepts_a_body_whose_escaped_unicode_it_never_reserialises(signed_post):
    # Meta escapes non-ASCII; the signature is over those exact bytes.
    body = webhook_fixture("messages__text").replace(b"another color", b"caf\\u00e9 colour")
    assert signed_post(body).status_code == 200
    assert Message.objects.get().text == "Does it come in caf\u00e9 colour?"


def test_it_refuses_a_body_without_a_signature(client):
    response = client.post("/webhooks/whatsapp/", data=fresh("messages__text"), content_type="application/json")
    assert response.status_code == 403
    assert WebhookEvent.objects.count() == 0


def test_it_refuses_a_forged_signature(signed_post):
    body = fresh("messages__text")
    response = signed_post(body, signature=sign(body, "somebody-elses-secret"))
    assert response.status_code == 403


def test_it_refuses_a_signature_that_is_not_even_hex(signed_post):
    assert signed_post(fresh("messages__text"), signature="sha256=nonsense").status_code == 403


def test_it_refuses_a_body_altered_after_signing(signed_post):
    body = fresh("messages__text")
    signature = sign(body, APP_SECRET)
    altered = body.replace(b"another color", b"another colour")
    assert altered != body
    assert signed_post(altered, signature=signature).status_code == 403


def test_it_stores_nothing_from_a_refused_body(signed_post, member, graph):
    body = fresh("messages__text")
    signed_post(body, signature=sign(body, "wrong"))
    assert WebhookEvent.objects.count() == 0
    assert Message.objects.count() == 0
    assert graph.requests == []


def test_it_logs_a_refusal_without_the_body(signed_post, caplog):
    body = fresh("messages__text", text={"body": "my card number is 4111-1111"})
    with caplog.at_level(logging.DEBUG):
        response = signed_post(body, signature=sign(body, "wrong"))
    assert response.status_code == 403
    refusals = [r for r in caplog.records if "X-Hub-Signature-256" in r.getMessage()]
    assert len(refusals) == 1
    assert refusals[0].levelno == logging.WARNING
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "4111-1111" not in logged
    assert "whatsapp_business_account" not in logged


def test_it_refuses_a_body_over_4_mib_as_too_large(signed_post):
    body = as_body({"object": "whatsapp_business_account", "entry": [], "padding": "x" * (4 * 1024 * 1024)})
    response = signed_post(body)
    assert response.status_code == 413
    assert WebhookEvent.objects.count() == 0


def test_it_accepts_a_body_of_3_mb_as_meta_may_send(signed_post):
    body = as_body({"object": "whatsapp_business_account", "entry": [], "padding": "x" * (3 * 1000 * 1000)})
    assert signed_post(body).status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_it_answers_400_to_a_body_that_is_not_json_and_records_it(signed_post):
    body = b"this is not json {"
    response = signed_post(body)
    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.REJECTED
    assert bytes(event.body) == body
    assert "not JSON" in event.error


def test_it_answers_400_to_json_that_is_not_a_whatsapp_business_account_object(signed_post):
    response = signed_post(as_body({"object": "page", "entry": []}))
    assert response.status_code == 400
    assert Message.objects.count() == 0
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.REJECTED


def test_it_answers_400_to_a_json_list(signed_post):
    assert signed_post(b'[{"object": "whatsapp_business_account"}]').status_code == 400
