"""The catalogue kept current: `manage.py whatsapp_templates sync` (and beat every 15 minutes) reads
every page of the account's templates from Graph; the account's template webhooks (Meta's samples in
tests/fixtures/webhook, signed like every webhook) change it between syncs and release held messages."""

import json
from io import StringIO

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from tests.catalogue_support import listed_by_meta, template_approved
from tests.conftest import FIXTURES, webhook_fixture
from tests.fakes.graph import send_fixture
from whatsapp.catalogue.components import template_components
from whatsapp.catalogue.sync import templates_sync
from whatsapp.models import ChannelAlert, Conversation, Message, MessageTemplate, WebhookEvent
from whatsapp.outbound.queue import template_queue

pytestmark = pytest.mark.django_db

REMINDER_BODY = send_fixture("resp_message_templates")["data"][0]["components"]
THREE = template_components(body=["Ann", "2", "EUR 120.00"])


def run(*args) -> str:
    out = StringIO()
    call_command("whatsapp_templates", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def conversation(member):
    return Conversation.objects.create(phone_number_id="106540352242922", contact_key="16505551234",
                                       wa_id="16505551234", user=member)


# --- sync -----------------------------------------------------------------------------------------
def test_a_sync_stores_every_template_as_meta_lists_it(graph):
    graph.templates = send_fixture("resp_message_templates")["data"]
    out = run("sync")
    assert out.startswith("Synced 2 template(s): 2 new, 0 changed, 0 no longer listed (marked deleted); 0 held")
    reminder, promotion = MessageTemplate.objects.order_by("name")
    assert (reminder.key, reminder.status, reminder.category, reminder.quality_score, reminder.meta_id) == (
        "overdue_reminder:en_US", "APPROVED", "UTILITY", "GREEN", "806312974732579")
    assert reminder.shape.slot_keys == ["body.1", "body.2", "body.3"] and reminder.last_synced_at
    assert (promotion.status, promotion.status_reason, promotion.category) == ("REJECTED", "INVALID_FORMAT",
                                                                               "MARKETING")
    assert promotion.shape.footer.startswith("Use the buttons below")


def test_a_sync_reads_every_page(graph):
    for n in range(250):
        graph.add_template(f"template_{n:03d}")
    assert templates_sync().listed == 250
    assert MessageTemplate.objects.count() == 250
    assert len(graph.template_pages()) == 3


def test_a_second_sync_changes_only_what_meta_changed(graph):
    graph.add_template("overdue_reminder", components=REMINDER_BODY)
    graph.add_template("weekly_spend_summary")
    templates_sync()
    graph.templates[1]["status"] = "PAUSED"
    result = templates_sync()
    assert (result.added, result.changed) == ([], ["weekly_spend_summary:en_US"])
    assert MessageTemplate.objects.get(name="weekly_spend_summary").status == "PAUSED"


def test_a_template_meta_no_longer_lists_is_marked_deleted_not_forgotten(graph):
    template_approved("spring_sale")
    result = templates_sync()
    assert result.removed == ["spring_sale:en_US"]
    template = MessageTemplate.objects.get()
    assert (template.status, template.status_reason) == ("DELETED", "Meta no longer lists it in the account's "
                                                                    "templates.")


def test_a_sync_releases_what_was_held_for_a_template_now_approved(conversation, graph,
                                                                   django_capture_on_commit_callbacks):
    held = template_queue(conversation=conversation, name="overdue_reminder", language="en_US", components=THREE)
    assert Message.objects.get(pk=held.pk).status == "held"
    graph.add_template("overdue_reminder", components=REMINDER_BODY)
    with django_capture_on_commit_callbacks(execute=True):
        assert "1 held message(s) released" in run("sync")
    held.refresh_from_db()
    assert held.status == "sent"
    assert held.text.startswith("Hello Ann, this is a reminder that you have 2 overdue invoice(s), EUR 120.00 in total.")
    assert ChannelAlert.objects.get().resolved_at is not None


def test_without_the_business_account_id_the_command_says_what_to_set(settings):
    settings.WHATSAPP_BUSINESS_ACCOUNT_ID = ""
    with pytest.raises(CommandError, match="Set WHATSAPP_BUSINESS_ACCOUNT_ID"):
        run("sync")


def test_a_graph_outage_is_a_clear_command_error(graph):
    graph.mock.replace("GET", f"{django_settings.WHATSAPP_API_BASE_URL}/v25.0/{django_settings.WHATSAPP_BUSINESS_ACCOUNT_ID}"
                       "/message_templates", status=503, json={"error": {"message": "Unavailable", "code": 2}})
    with pytest.raises(CommandError, match=r"Graph refused: #2 Unavailable \(it may work on a second try\)"):
        run("sync")


def test_beat_syncs_the_catalogue_every_15_minutes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["whatsapp-templates-sync"]
    assert entry["task"] == "whatsapp.tasks.templates_sync_task"
    assert entry["schedule"] == crontab(minute="*/15")


def test_the_list_shows_status_category_quality_and_last_sync(graph):
    graph.templates = send_fixture("resp_message_templates")["data"]
    run("sync")
    lines = run("list").splitlines()
    assert lines[0].startswith("overdue_reminder:en_US\tAPPROVED\tUTILITY\tGREEN\tsynced 20")
    assert lines[1].startswith("seasonal_promotion:en_US\tREJECTED\tMARKETING\t-\tsynced")


# --- the account's webhooks -------------------------------------------------------------------------
TEMPLATE_FIXTURES = sorted(p.stem for p in (FIXTURES / "webhook").glob("*template*update__*.json"))


@pytest.mark.parametrize("name", TEMPLATE_FIXTURES)
def test_every_template_webhook_is_stored_raw_and_answered_200(name, signed_post):
    template_approved("overdue_reminder", meta_id="806312974732579")
    response = signed_post(webhook_fixture(name))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert bytes(event.body) == webhook_fixture(name) and event.status == "processed" and event.error == ""


def test_an_approval_releases_the_held_messages(conversation, deliver, graph):
    template = template_approved("overdue_reminder", meta_id="806312974732579", components=REMINDER_BODY,
                                 status="PENDING")
    held = template_queue(conversation=conversation, name="overdue_reminder", language="en_US", components=THREE)
    deliver(webhook_fixture("message_template_status_update__approved"))
    template.refresh_from_db()
    assert template.status == "APPROVED" and template.status_changed_at
    held.refresh_from_db()
    assert held.status == "sent"
    assert graph.sent("template")[0]["template"]["name"] == "overdue_reminder"


def test_an_approval_of_a_template_the_catalogue_does_not_know_adds_it_and_syncs_its_text(deliver, graph):
    graph.add_template("overdue_reminder", components=REMINDER_BODY, id="806312974732579")
    deliver(webhook_fixture("message_template_status_update__approved"))
    template = MessageTemplate.objects.get()
    assert (template.key, template.status, template.meta_id) == ("overdue_reminder:en_US", "APPROVED",
                                                                "806312974732579")
    assert template.components == REMINDER_BODY  # from the sync the webhook asked for
    assert graph.template_pages()


def test_a_pause_holds_what_would_use_the_template_with_meta_s_words(conversation, deliver, graph):
    template_approved("overdue_reminder", meta_id="806312974732579", components=REMINDER_BODY)
    deliver(webhook_fixture("message_template_status_update__paused"))
    template = MessageTemplate.objects.get()
    assert template.status == "PAUSED"
    assert template.status_reason == ("FIRST_PAUSE. Your WhatsApp message template has been paused for 3 hours until "
                                      "Nov 30, 2026 at 6:00 PM UTC because it continued to have issues.")
    message = template_queue(conversation=conversation, name="overdue_reminder", language="en_US", components=THREE)
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("held", 132015)
    assert "paused for 3 hours" in message.error_details and graph.sent() == []


def test_a_rejection_keeps_meta_s_reason_and_recommendation(deliver):
    template_approved("weekly_spend_summary", meta_id="806312974732580", status="PENDING")
    deliver(webhook_fixture("message_template_status_update__rejected"))
    template = MessageTemplate.objects.get()
    assert template.status == "REJECTED"
    assert template.status_reason == ("INVALID_FORMAT. Variable parameters are not allowed at the start or end of the "
                                      "template body. Add text before the first and after the last variable.")


def test_a_quality_update_moves_the_score(deliver):
    template_approved("overdue_reminder", meta_id="806312974732579", quality_score="GREEN")
    deliver(webhook_fixture("message_template_quality_update__yellow"))
    assert MessageTemplate.objects.get().quality_score == "YELLOW"


def test_a_category_update_keeps_the_category_before(deliver):
    template_approved("review_outcome", meta_id="806312974732581", category="UTILITY")
    deliver(webhook_fixture("template_category_update__marketing"))
    template = MessageTemplate.objects.get()
    assert (template.category, template.previous_category) == ("MARKETING", "UTILITY")


def test_another_business_account_s_template_webhook_changes_nothing(deliver, settings):
    settings.WHATSAPP_BUSINESS_ACCOUNT_ID = "999999999999999"
    template_approved("overdue_reminder", meta_id="806312974732579")
    deliver(webhook_fixture("message_template_status_update__paused"))
    assert MessageTemplate.objects.get().status == "APPROVED"


def test_a_flag_is_noted_without_stopping_the_template(deliver):
    template_approved("overdue_reminder", meta_id="806312974732579")
    body = json.loads(webhook_fixture("message_template_status_update__approved"))
    body["entry"][0]["changes"][0]["value"]["event"] = "FLAGGED"
    deliver(json.dumps(body).encode())
    template = MessageTemplate.objects.get()
    assert template.status == "APPROVED" and template.status_reason.startswith("Flagged by Meta on ")


def test_a_template_webhook_naming_no_template_is_noted_on_the_event(deliver):
    body = json.loads(webhook_fixture("message_template_quality_update__yellow"))
    value = body["entry"][0]["changes"][0]["value"]
    for key in ("message_template_id", "message_template_name", "message_template_language"):
        del value[key]
    response, _ = deliver(json.dumps(body).encode())
    assert response.status_code == 200
    assert WebhookEvent.objects.get().error == ("change message_template_quality_update: names no template "
                                                "(no message_template_id, name or language)")
