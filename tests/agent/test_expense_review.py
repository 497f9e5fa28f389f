"""Reviewing expenses one after another: the list opens on the pending ones, the review page shows
the receipt beside the amounts, and "approve and next" moves on to the next expense this reviewer
may review (four eyes still decides, through services.expense_review)."""

from datetime import date

import pytest
from django.core.files.base import ContentFile

from agent.models import Expense
from tests.agent.admin_support import admin_manager, admin_staff
from tests.agent.factories import expense

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/agent/expense/"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def boss():
    return admin_manager()


@pytest.fixture
def sam():
    return admin_staff()


def review(pk: int) -> str:
    return f"{CHANGELIST}{pk}/review/"


def listed(response) -> list[int]:
    return [e.pk for e in response.context["cl"].result_list]


def test_a_reviewers_list_opens_on_the_pending_expenses(client, boss, sam):
    pending = expense(by=sam)
    approved = expense(by=sam, status=Expense.Status.APPROVED)
    client.force_login(boss)
    assert listed(client.get(CHANGELIST)) == [pending.pk]
    assert sorted(listed(client.get(CHANGELIST, {"status__exact": "all"}))) == sorted([pending.pk, approved.pk])
    assert listed(client.get(CHANGELIST, {"status__exact": "approved"})) == [approved.pk]
    page = client.get(CHANGELIST).content.decode()
    assert 'class="filter-in-use"' not in page  # the default is no filter to clear
    assert f'<a href="{CHANGELIST}review/" class="review-queue-link">Review pending expenses</a>' in page


def test_someone_who_does_not_review_sees_all_their_own(client, sam):
    pending, approved = expense(by=sam), expense(by=sam, status=Expense.Status.APPROVED)
    client.force_login(sam)
    assert sorted(listed(client.get(CHANGELIST))) == sorted([pending.pk, approved.pk])


def test_the_review_shows_the_receipt_beside_the_amounts(client, boss, sam, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pending = expense(by=sam, merchant="Shell", net="35.71", gross="42.50")
    pending.receipt.save("receipt.png", ContentFile(PNG))
    client.force_login(boss)
    page = client.get(review(pending.pk)).content.decode()
    assert page.index('class="review-figures"') < page.index('class="review-receipt"')
    assert f'<img src="{CHANGELIST}{pending.pk}/receipt/" alt="Receipt of expense #{pending.pk}">' in page
    assert "<strong>EUR 42.50</strong>" in page
    assert 'class="button approve" id="approve-next-button"' in page
    assert 'class="button reject" id="reject-next-button"' in page


def test_approve_and_next_goes_on_to_the_next_pending_expense(client, boss, sam, django_capture_on_commit_callbacks):
    first = expense(by=sam, spent_on=date(2026, 1, 2))
    second = expense(by=sam, spent_on=date(2026, 1, 3))
    client.force_login(boss)
    assert client.get(f"{CHANGELIST}review/")["Location"] == review(first.pk)  # the oldest first
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(review(first.pk), {"decision": "approve_and_next", "note": ""})
    assert response["Location"] == review(second.pk)
    first.refresh_from_db()
    assert first.status == Expense.Status.APPROVED and first.reviewed_by == boss

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(review(second.pk), {"decision": "reject_and_next", "note": "No receipt"}, follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST
    assert "That was the last expense waiting for your review." in [str(m) for m in response.context["messages"]]
    second.refresh_from_db()
    assert second.status == Expense.Status.REJECTED


def test_the_next_one_is_never_the_reviewers_own(client, boss, sam):
    own = expense(by=boss, spent_on=date(2026, 1, 1))  # four eyes: another manager exists
    admin_manager(first_name="Mo", phone="+4915100000011")
    theirs = expense(by=sam, spent_on=date(2026, 1, 5))
    client.force_login(boss)
    assert client.get(f"{CHANGELIST}review/")["Location"] == review(theirs.pk)
    page = client.get(review(theirs.pk)).content.decode()
    assert 'id="skip-button"' not in page  # nothing after it they may review
    assert client.get(review(own.pk)).status_code == 403


def test_skip_leaves_it_pending_and_shows_the_next(client, boss, sam):
    first, second = expense(by=sam, spent_on=date(2026, 1, 2)), expense(by=sam, spent_on=date(2026, 1, 3))
    client.force_login(boss)
    response = client.post(review(first.pk), {"decision": "skip"})
    assert response["Location"] == review(second.pk)
    first.refresh_from_db()
    assert first.status == Expense.Status.PENDING
    assert client.post(review(second.pk), {"decision": "skip"})["Location"] == review(first.pk)  # back round


def test_without_the_review_permission_there_is_no_review_queue(client, sam):
    expense(by=sam)
    client.force_login(sam)
    assert client.get(f"{CHANGELIST}review/").status_code == 403
    assert "review-queue-link" not in client.get(CHANGELIST).content.decode()
