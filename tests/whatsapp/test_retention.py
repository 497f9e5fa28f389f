"""Hole 9: raw webhook bodies and chat media are not kept forever. The daily job (beat) and
`manage.py purge_retention` remove them once older than their retention periods."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from tests.conftest import fresh
from whatsapp.models import Conversation, Message, SandboxMedia, StatusUpdate, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def purge(django_capture_on_commit_callbacks):
    """`manage.py purge_retention`, files deleted after commit as in production; returns its output."""
    def run(*args):
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("purge_retention", *args, stdout=out)
        return out.getvalue()

    return run


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def old_and_new_webhooks(signed_post, member):
    """A text webhook from 31 days ago and one from today, both stored by the real view."""
    signed_post(fresh("messages__text", id="wamid.old"))
    signed_post(fresh("messages__text", id="wamid.new"))
    old = WebhookEvent.objects.get(message__wamid="wamid.old")
    WebhookEvent.objects.filter(pk=old.pk).update(received_at=days_ago(31))
    Message.objects.filter(wamid="wamid.old").update(created_at=days_ago(31))
    return old, WebhookEvent.objects.get(message__wamid="wamid.new")


def test_hole9_a_raw_webhook_body_past_its_period_is_dropped_and_its_event_row_kept(old_and_new_webhooks, purge,
                                                                                   settings):
    settings.RETENTION_WEBHOOK_BODY_DAYS = 30
    old, new = old_and_new_webhooks
    before = WebhookEvent.objects.get(pk=old.pk)
    output = purge()

    old.refresh_from_db()
    assert bytes(old.body) == b"" and old.body_purged_at is not None
    assert (old.received_at, old.status, old.message_count, old.status_count) == (
        before.received_at, before.status, before.message_count, before.status_count)
    assert old.body_text.startswith("(removed by the retention policy on ")
    new.refresh_from_db()
    assert bytes(new.body) != b"" and new.body_purged_at is None
    # The message stays (it is the conversation); its raw copy of the body goes too.
    message = Message.objects.get(wamid="wamid.old")
    assert message.text == "Does it come in another color?" and message.raw is None
    assert Message.objects.get(wamid="wamid.new").raw is not None
    assert "Webhook bodies older than 30 days: 1 removed." in output


def test_hole9_a_status_past_the_body_period_keeps_its_facts_and_loses_its_raw_copy(db, purge):
    conversation = Conversation.objects.create(phone_number_id="1", contact_key="16505551234")
    update = StatusUpdate.objects.create(wamid="wamid.out", status="delivered", timestamp=days_ago(40),
                                         recipient_id="16505551234", raw={"id": "wamid.out", "status": "delivered"})
    StatusUpdate.objects.filter(pk=update.pk).update(received_at=days_ago(40))
    purge()
    update.refresh_from_db()
    assert update.raw == {} and (update.status, update.wamid) == ("delivered", "wamid.out")
    assert conversation.pk  # nothing else touched


def test_hole9_a_purged_body_cannot_be_replayed(old_and_new_webhooks, purge):
    old, _ = old_and_new_webhooks
    purge()
    with pytest.raises(CommandError, match="its body was removed by the retention policy on"):
        call_command("replay_webhook", str(old.pk), stdout=StringIO())


@pytest.fixture
def photo(member, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    conversation = Conversation.objects.create(phone_number_id="1", contact_key="16505551234", wa_id="16505551234",
                                               user=member)
    message = Message.objects.create(conversation=conversation, direction="in", type="image", status="handled",
                                     timestamp=days_ago(91), media_mime_type="image/jpeg", media_id="media.1",
                                     text="Lunch receipt")
    message.media_file.save("receipt.jpg", ContentFile(b"\xff\xd8\xff a photo"))
    Message.objects.filter(pk=message.pk).update(created_at=days_ago(91))
    message.refresh_from_db()
    return message


def test_hole9_chat_media_past_its_period_is_deleted_and_the_transcript_says_so(photo, purge, admin_client,
                                                                               settings, tmp_path):
    settings.RETENTION_CHAT_MEDIA_DAYS = 90
    stored = tmp_path / photo.media_file.name
    assert stored.exists()
    output = purge()

    photo.refresh_from_db()
    assert not stored.exists()
    assert (photo.media_file.name, photo.media_id) == ("", "")  # nothing downloads it again either
    assert photo.media_removed_at is not None
    assert (photo.type, photo.text, photo.media_mime_type) == ("image", "Lunch receipt", "image/jpeg")
    page = admin_client.get(reverse("admin:whatsapp_conversation_change", args=[photo.conversation_id]))
    assert "media removed (retention)" in page.content.decode()
    assert admin_client.get(reverse("admin:whatsapp_message_media", args=[photo.pk])).status_code == 404
    assert "Chat media older than 90 days: 1 removed." in output


def test_hole9_chat_media_within_its_period_is_kept(photo, purge, settings, tmp_path):
    settings.RETENTION_CHAT_MEDIA_DAYS = 120
    purge()
    photo.refresh_from_db()
    assert photo.media_file and (tmp_path / photo.media_file.name).exists() and photo.media_removed_at is None


def test_hole9_sandbox_media_past_the_period_is_deleted(db, purge):
    SandboxMedia.objects.create(media_id="s1", content=b"x", mime_type="image/png", sha256="", size=1,
                                created_at=days_ago(100))
    SandboxMedia.objects.create(media_id="s2", content=b"y", mime_type="image/png", sha256="", size=1)
    purge()
    assert list(SandboxMedia.objects.values_list("media_id", flat=True)) == ["s2"]


def test_hole9_a_dry_run_counts_and_removes_nothing(old_and_new_webhooks, photo, purge, tmp_path):
    old, _ = old_and_new_webhooks
    output = purge("--dry-run")
    assert "Webhook bodies older than 30 days: 1 would be removed (dry run)." in output
    assert "Chat media older than 90 days: 1 would be removed (dry run)." in output
    old.refresh_from_db()
    photo.refresh_from_db()
    assert bytes(old.body) != b"" and photo.media_file and (tmp_path / photo.media_file.name).exists()


def test_hole9_purging_twice_removes_nothing_more(old_and_new_webhooks, photo, purge):
    purge()
    output = purge()
    assert "Webhook bodies older than 30 days: 0 removed." in output
    assert "Chat media older than 90 days: 0 removed." in output


def test_hole9_beat_runs_the_purge_every_day():
    entry = celery_app.conf.beat_schedule["retention-purge"]
    assert entry["task"] == "whatsapp.tasks.retention_purge_task"
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {30}


def test_hole9_the_daily_task_purges_what_the_command_does(old_and_new_webhooks, django_capture_on_commit_callbacks):
    from whatsapp.tasks import retention_purge_task

    old, _ = old_and_new_webhooks
    with django_capture_on_commit_callbacks(execute=True):
        retention_purge_task.delay()  # eager in tests
    old.refresh_from_db()
    assert old.body_purged_at is not None
