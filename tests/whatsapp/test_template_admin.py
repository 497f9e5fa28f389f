"""The template catalogue in the admin: status, category, quality and last sync, read-only, with a
button that syncs it from Meta now."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.catalogue_support import template_approved
from tests.fakes.graph import send_fixture
from whatsapp.models import MessageTemplate

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:whatsapp_messagetemplate_changelist")
SYNC = reverse("admin:whatsapp_messagetemplate_sync")


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_user(username="max", password="a-long-password-1", role=User.Role.STAFF))
    return client


def test_staff_see_the_catalogue_with_status_category_quality_and_last_sync(staff_client, graph):
    graph.templates = send_fixture("resp_message_templates")["data"]
    staff_client.post(SYNC)
    html = staff_client.get(CHANGELIST).content.decode()
    assert "overdue_reminder" in html and "seasonal_promotion" in html
    assert "High" in html  # GREEN
    assert "Rejected" in html and "not sent: messages that need it are held" in html
    assert "Last synced from Meta: 20" in html


def test_sync_now_asks_meta_and_says_what_changed(staff_client, graph):
    graph.add_template("reply_waiting")
    response = staff_client.post(SYNC, follow=True)
    assert "Synced 1 template(s) from Meta: 1 new, 0 changed, 0 no longer listed" in response.content.decode()
    assert MessageTemplate.objects.get().name == "reply_waiting"


def test_sync_now_without_the_account_id_says_what_to_set(staff_client, settings):
    settings.WHATSAPP_BUSINESS_ACCOUNT_ID = ""
    response = staff_client.post(SYNC, follow=True)
    assert "Not synced: Set WHATSAPP_BUSINESS_ACCOUNT_ID" in response.content.decode()


def test_sync_needs_a_post_and_the_permission(staff_client, client, graph):
    assert staff_client.get(SYNC).status_code == 405
    nobody = User.objects.create_user(username="nobody", role=User.Role.STAFF)
    nobody.groups.clear()
    client.force_login(nobody)
    assert client.post(SYNC).status_code == 403
    assert graph.template_pages() == []


def test_a_template_s_page_shows_what_the_person_reads_and_the_values_it_takes(staff_client):
    template = template_approved("payment_reminder", body="Hello {{1}}, you owe {{2}}.", category="UTILITY",
                                 previous_category="MARKETING", quality_score="YELLOW", components=[
                                     {"type": "BODY", "text": "Hello {{1}}, you owe {{2}}.",
                                      "example": {"body_text": [["Ann", "EUR 10"]]}}])
    html = staff_client.get(reverse("admin:whatsapp_messagetemplate_change", args=[template.pk])).content.decode()
    assert "Hello Ann, you owe EUR 10." in html
    assert "Text {{1}} (e.g. Ann)" in html and "Text {{2}} (e.g. EUR 10)" in html
    assert "UTILITY (Meta moved it from MARKETING, which changes its price)" in html
    assert "Medium" in html
    assert 'name="_save"' not in html  # read-only: made and changed at Meta


def test_nobody_adds_changes_or_deletes_a_template_here(admin_client):
    template = template_approved("reply_waiting")
    assert admin_client.get(reverse("admin:whatsapp_messagetemplate_add")).status_code == 403
    assert admin_client.post(reverse("admin:whatsapp_messagetemplate_delete", args=[template.pk]),
                             {"post": "yes"}).status_code == 403
    assert MessageTemplate.objects.filter(pk=template.pk).exists()
