"""Issue 10, hole 6: a manager approved their own expense through the admin, the API and WhatsApp.

Four eyes (agent.services.expense_check_reviewable): nobody reviews their own expense while another
active manager (or superuser) can; a superuser, or the only active manager, may, and the record says
so. Through the real admin views, API endpoints and WhatsApp path.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from agent.models import Expense, PendingAction
from tests.agent import factories
from tests.agent.admin_support import admin_manager, admin_staff
from tests.agent.confirm_support import tap, yes_button

CHANGELIST = "/admin/agent/expense/"
FOUR_EYES = "is your own: another manager reviews it (four eyes)."
MAYA = "972987654321"


@pytest.fixture
def boss(db):
    return admin_manager()


@pytest.fixture
def deputy(db):
    return admin_manager(first_name="Dora", phone="+4915100000009")


def status_of(expense) -> tuple:
    expense.refresh_from_db()
    return expense.status, expense.reviewed_by, expense.self_reviewed


# --- the admin ------------------------------------------------------------------------------------
def test_hole6_a_manager_cannot_approve_their_own_expense_in_the_admin(client, boss, deputy):
    own = factories.expense(by=boss)
    client.force_login(boss)
    assert client.get(f"{CHANGELIST}{own.pk}/review/").status_code == 403
    assert client.post(f"{CHANGELIST}{own.pk}/review/", {"decision": "approve"}).status_code == 403
    assert status_of(own) == ("pending", None, False)


def test_hole6_the_admin_hides_the_review_of_ones_own_expense_and_says_why(client, boss, deputy):
    own, theirs = factories.expense(by=boss), factories.expense(by=deputy)
    client.force_login(boss)
    listing = client.get(CHANGELIST).content.decode()
    assert f"/admin/agent/expense/{theirs.pk}/review/" in listing
    assert f"/admin/agent/expense/{own.pk}/review/" not in listing
    page = client.get(f"{CHANGELIST}{own.pk}/change/").content.decode()
    assert 'id="change-page-review-form"' not in page
    assert f'<p class="review-refusal">Expense #{own.pk} {FOUR_EYES}</p>' in page
    assert 'id="change-page-review-form"' in client.get(f"{CHANGELIST}{theirs.pk}/change/").content.decode()


def test_hole6_bulk_review_reviews_the_others_and_reports_each_one_it_skipped(client, boss, deputy):
    own, theirs = factories.expense(by=boss), factories.expense(by=deputy)
    done = factories.expense(by=deputy, status=Expense.Status.REJECTED)
    client.force_login(boss)
    data = {"action": "approve_selected", "_selected_action": [own.pk, theirs.pk, done.pk]}
    every = f"{CHANGELIST}?status__exact=all"  # the list a reviewer opens shows the pending ones only
    page = client.post(every, data).content.decode()
    assert "Approve 1 of these 3 expenses?" in page
    assert f"(skipped: Expense #{own.pk} {FOUR_EYES})" in page
    assert f"(skipped: Expense #{done.pk} was already rejected.)" in page
    response = client.post(every, {**data, "post": "yes", "note": ""}, follow=True)
    told = [str(m) for m in response.context["messages"]]
    assert told[0] == "1 expense(s) approved; the submitters were notified."
    assert sorted(told[1:]) == [f"Skipped expense #{own.pk}: Expense #{own.pk} {FOUR_EYES}",
                                f"Skipped expense #{done.pk}: Expense #{done.pk} was already rejected."]
    assert status_of(own) == ("pending", None, False)
    assert status_of(theirs) == ("approved", boss, False)


def test_hole6_a_sole_manager_may_review_their_own_and_the_record_says_so(client, boss):
    admin_staff()  # staff do not count: they cannot review
    factories.person(role=User.Role.MANAGER, first_name="Gone", active=False)  # nor do former managers
    own = factories.expense(by=boss)
    client.force_login(boss)
    response = client.post(f"{CHANGELIST}{own.pk}/review/", {"decision": "approve", "note": ""})
    assert response.status_code == 302
    assert status_of(own) == ("approved", boss, True)
    page = client.get(f"{CHANGELIST}{own.pk}/change/").content.decode()
    assert "Yes: reviewed by the person who submitted it" in page
    assert "Approved</strong> (by its submitter)" in client.get(CHANGELIST, {"status__exact": "all"}).content.decode()


def test_hole6_a_superuser_may_review_their_own_and_the_record_says_so(client, boss):
    root = admin_manager(first_name="Root", phone="+4915100000010")
    root.is_superuser = True
    root.save()
    own = factories.expense(by=root)
    client.force_login(root)
    client.post(f"{CHANGELIST}{own.pk}/review/", {"decision": "reject", "note": "wrong card"})
    assert status_of(own) == ("rejected", root, True)


def test_hole6_a_manager_cannot_enter_an_expense_in_someone_elses_name_in_the_admin(client, boss, deputy):
    client.force_login(boss)
    client.post(f"{CHANGELIST}add/", {"submitted_by": deputy.pk, "spent_on": "2026-01-05", "category": "fuel",
                                      "merchant": "", "description": "", "net": "10.00", "tax_rate": "0.19",
                                      "gross": "11.90", "currency": "EUR"})
    entered = Expense.objects.get()
    assert entered.submitted_by == boss  # so four eyes still applies to it
    assert client.get(f"{CHANGELIST}{entered.pk}/review/").status_code == 403


# --- the API --------------------------------------------------------------------------------------
def test_hole6_a_manager_cannot_approve_their_own_expense_through_the_api(boss, deputy):
    own = factories.expense(by=boss)
    api = APIClient()
    api.force_authenticate(boss)
    for decision in ("approve", "reject"):
        response = api.post(f"/api/expenses/{own.pk}/{decision}/", {"note": ""}, format="json")
        assert (response.status_code, response.json()) == (403, {"detail": f"Expense #{own.pk} {FOUR_EYES}"})
    assert status_of(own) == ("pending", None, False)
    api.force_authenticate(deputy)
    response = api.post(f"/api/expenses/{own.pk}/approve/", {"note": ""}, format="json")
    assert response.status_code == 200 and response.json()["self_reviewed"] is False


def test_hole6_the_api_shows_a_self_review(boss):
    own = factories.expense(by=boss)
    api = APIClient()
    api.force_authenticate(boss)
    assert api.post(f"/api/expenses/{own.pk}/approve/", {}, format="json").json()["self_reviewed"] is True
    assert api.get(f"/api/expenses/{own.pk}/").json()["self_reviewed"] is True


# --- WhatsApp -------------------------------------------------------------------------------------
def test_hole6_a_manager_cannot_approve_their_own_expense_on_whatsapp(fake_openai, manager, say, graph):
    factories.person(role=User.Role.MANAGER, first_name="Dora")
    own = factories.expense(by=manager)
    fake_openai.call(("review_expense", {"expense_id": own.pk, "decision": "approve"}))
    fake_openai.reply("Another manager has to review it.")
    say(f"approve my expense {own.pk}", sender=MAYA)
    assert fake_openai.tool_results(1) == [{"ok": False, "error": f"Expense #{own.pk} {FOUR_EYES}"}]
    assert graph.sent("interactive") == [] and not PendingAction.objects.exists()
    assert status_of(own) == ("pending", None, False)


def test_hole6_four_eyes_is_checked_again_when_the_yes_comes(fake_openai, manager, say, graph):
    own = factories.expense(by=manager)
    fake_openai.call(("review_expense", {"expense_id": own.pk, "decision": "approve"}))
    fake_openai.reply("Approve it?")
    say(f"approve my expense {own.pk}", sender=MAYA)  # the only manager: may, so asked
    factories.person(role=User.Role.MANAGER, first_name="Dora")  # a second manager joins meanwhile
    tap(say, yes_button(graph), sender=MAYA)
    assert status_of(own) == ("pending", None, False)
    assert graph.texts()[-1] == f"Sorry, that didn't work: Expense #{own.pk} {FOUR_EYES}"


def test_hole6_a_sole_manager_approves_their_own_on_whatsapp_and_the_record_says_so(fake_openai, manager, say, graph):
    own = factories.expense(by=manager)
    fake_openai.call(("review_expense", {"expense_id": own.pk, "decision": "approve"}))
    fake_openai.reply("Approve it?")
    say(f"approve my expense {own.pk}", sender=MAYA)
    say("yes", sender=MAYA)
    assert status_of(own) == ("approved", manager, True)
    assert graph.texts()[-1] == f"Expense #{own.pk} approved."
