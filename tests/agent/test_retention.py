"""Hole 9, the bookkeeping side: a receipt attached to an expense is kept for the bookkeeping
retention period (RETENTION_RECEIPT_YEARS full years after the expense's year), also when the chat
photo it came from is long gone; then the file is deleted and the expense says so."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from agent.media import MediaUnavailable, media_bytes
from agent.services import expense_record
from tests.agent.factories import expense, person
from whatsapp.models import Conversation, Message

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/agent/expense/"


@pytest.fixture
def purge(django_capture_on_commit_callbacks):
    def run(*args):
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("purge_retention", *args, stdout=out)
        return out.getvalue()

    return run


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def with_receipt(*, spent_on: date, by: User):
    record = expense(by=by, spent_on=spent_on)
    record.receipt.save("receipt.pdf", ContentFile(b"%PDF-1.4 a receipt"))
    return record


def test_hole9_a_receipt_is_kept_through_the_bookkeeping_period_then_removed(media_root, purge, settings, client):
    settings.RETENTION_RECEIPT_YEARS = 10
    sam = person()
    year = timezone.localdate().year
    last_kept = with_receipt(spent_on=date(year - 10, 1, 1), by=sam)  # kept to the end of this year
    past = with_receipt(spent_on=date(year - 11, 12, 31), by=sam)    # its ten years ended last New Year's Eve
    past_file = media_root / past.receipt.name

    output = purge()

    past.refresh_from_db()
    last_kept.refresh_from_db()
    assert not past_file.exists() and past.receipt.name == "" and past.receipt_removed_at is not None
    assert (media_root / last_kept.receipt.name).exists() and last_kept.receipt_removed_at is None
    assert (past.gross, past.spent_on) == (last_kept.gross, date(year - 11, 12, 31))  # the record itself stays
    assert (f"Expense receipts of {year - 11} and earlier (kept 10 full years after their year): 1 removed."
            in output)

    boss = person(role=User.Role.MANAGER)
    boss.is_staff = True
    boss.save()
    client.force_login(boss)
    page = client.get(f"{CHANGELIST}{past.pk}/change/").content.decode()
    assert "Receipt removed at the end of the retention period" in page


def test_hole9_a_receipt_outlives_the_chat_photo_it_came_from(media_root, purge, settings):
    """The photo in the chat goes after RETENTION_CHAT_MEDIA_DAYS; the expense has its own copy."""
    settings.RETENTION_CHAT_MEDIA_DAYS = 90
    sam = person(phone="+16505551234")
    conversation = Conversation.objects.create(phone_number_id="1", contact_key="16505551234", user=sam)
    photo = Message.objects.create(conversation=conversation, direction="in", type="image", status="handled",
                                   timestamp=timezone.now(), media_mime_type="image/jpeg", media_id="m1")
    photo.media_file.save("lunch.jpg", ContentFile(b"\xff\xd8\xff the receipt photo"))
    recorded = expense_record(user=sam, category="meals", gross="11.90",
                              receipt=("lunch.jpg", media_bytes(photo)), source_message=photo)
    old = timezone.now() - timedelta(days=91)
    Message.objects.filter(pk=photo.pk).update(created_at=old)

    purge()

    photo.refresh_from_db()
    recorded.refresh_from_db()
    assert photo.media_removed_at is not None and not photo.media_file
    with recorded.receipt.open("rb") as handle:
        assert handle.read() == b"\xff\xd8\xff the receipt photo"
    # Asked about the old photo now, the assistant says the file is gone; it does not fetch it again.
    with pytest.raises(MediaUnavailable, match="removed \\(retention\\)"):
        media_bytes(photo)


def test_hole9_a_dry_run_leaves_receipts_alone(media_root, purge):
    record = with_receipt(spent_on=date(timezone.localdate().year - 20, 6, 1), by=person())
    assert ": 1 would be removed (dry run)." in purge("--dry-run")
    record.refresh_from_db()
    assert record.receipt and (media_root / record.receipt.name).exists()
