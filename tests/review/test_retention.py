"""Review of issue 10, hole 9: personal data is not kept for ever. Receipts and chat media removed
another way than by the purge (a deletion in the admin) must not stay behind on disk, where no purge
ever finds them again."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.agent import factories
from tests.fakes.graph import PHONE_NUMBER_ID
from whatsapp.models import Conversation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def files_under(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_an_expense_deleted_in_the_admin_takes_its_receipt_with_it(client, media_root,
                                                                  django_capture_on_commit_callbacks):
    """HOLE: deleting one's pending expense from its admin page removed the row but left the receipt
    photo on disk for ever (the purge looks for receipts through their expense). On WhatsApp the
    same deletion removes the file."""
    boss = User.objects.create_user(username="boss", role=User.Role.MANAGER, phone_number="+16505550102")
    boss.user_permissions.add(Permission.objects.get(codename="delete_expense"))
    own = factories.expense(by=boss)
    own.receipt.save("receipt.jpg", ContentFile(b"\xff\xd8\xff a receipt"))
    assert files_under(media_root) != []
    client.force_login(boss)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:agent_expense_delete", args=[own.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert files_under(media_root) == []


def test_expenses_bulk_deleted_by_a_superuser_take_their_receipts_with_them(client, media_root,
                                                                           django_capture_on_commit_callbacks):
    """HOLE: the bulk delete (superusers) left every receipt file behind."""
    root = User.objects.create_superuser(username="root", password="a-long-password-1")
    sam = User.objects.create_user(username="sam", role=User.Role.STAFF, phone_number="+16505550100")
    expenses = [factories.expense(by=sam) for _ in range(2)]
    for expense in expenses:
        expense.receipt.save("receipt.pdf", ContentFile(b"%PDF-1.4 a receipt"))
    client.force_login(root)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:agent_expense_changelist"),
                    {"action": "delete_selected", "_selected_action": [e.pk for e in expenses], "post": "yes"})
    assert files_under(media_root) == []


def test_a_conversation_with_media_cannot_be_deleted_in_the_admin_so_no_file_is_left_behind(
        client, media_root):
    """Held: deleting a conversation would orphan its messages' media files, but messages are
    read-only evidence, so the cascade is refused even to a superuser; the purge removes the media."""
    root = User.objects.create_superuser(username="root", password="a-long-password-1")
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505550199",
                                               wa_id="16505550199")
    photo = Message.objects.create(conversation=conversation, direction="in", type="image", status="handled",
                                   timestamp=timezone.now(), media_mime_type="image/jpeg", wamid="wamid.photo")
    photo.media_file.save("photo.jpg", ContentFile(b"\xff\xd8\xff a photo"))
    client.force_login(root)
    response = client.post(reverse("admin:whatsapp_conversation_delete", args=[conversation.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Message.objects.filter(pk=photo.pk).exists() and files_under(media_root) != []
