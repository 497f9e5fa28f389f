"""The REST API at /api/: auth, permissions by role, filters, pagination, review and invoices."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from agent.models import Expense, Invoice
from tests.agent import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def staff_member():
    return factories.person(role=User.Role.STAFF, first_name="Ann", phone="+16505551234")


@pytest.fixture
def boss():
    return factories.person(role=User.Role.MANAGER, first_name="Maya")


def test_it_refuses_a_request_without_credentials(api):
    assert api.get("/api/expenses/").status_code == 401


def test_a_token_authenticates(api, staff_member):
    token = Token.objects.create(user=staff_member)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/expenses/").status_code == 200


def test_a_session_authenticates(api, staff_member):
    api.force_login(staff_member)
    assert api.get("/api/invoices/").status_code == 200


def test_a_customer_gets_403(api):
    api.force_authenticate(factories.person(role=User.Role.CUSTOMER))
    assert api.get("/api/expenses/").status_code == 403
    assert api.get("/api/invoices/").status_code == 403


def test_staff_see_only_their_own_expenses(api, staff_member):
    mine = factories.expense(by=staff_member)
    factories.expense(by=factories.person())
    api.force_authenticate(staff_member)
    body = api.get("/api/expenses/").json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert body["results"][0]["gross"] == "11.90"


def test_staff_cannot_open_another_persons_expense(api, staff_member):
    other = factories.expense(by=factories.person())
    api.force_authenticate(staff_member)
    assert api.get(f"/api/expenses/{other.pk}/").status_code == 404


def test_managers_filter_expenses_by_status_category_person_and_date(api, boss, staff_member):
    today = timezone.localdate()
    fuel = factories.expense(by=staff_member, category="fuel", spent_on=today)
    factories.expense(by=staff_member, category="meals", spent_on=today)
    factories.expense(by=boss, category="fuel", spent_on=today, status=Expense.Status.APPROVED)
    factories.expense(by=staff_member, category="fuel", spent_on=today - timedelta(days=40))
    api.force_authenticate(boss)
    url = (f"/api/expenses/?category=fuel&status=pending&person={staff_member.pk}"
           f"&date_from={(today - timedelta(days=7)).isoformat()}&date_to={today.isoformat()}")
    assert [row["id"] for row in api.get(url).json()["results"]] == [fuel.pk]


def test_lists_are_paginated(api, boss, settings):
    for _ in range(3):
        factories.expense(by=boss)
    api.force_authenticate(boss)
    first = api.get("/api/expenses/?page_size=2").json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_staff_get_403_when_reviewing_an_expense(api, staff_member, decision):
    expense = factories.expense(by=factories.person())
    api.force_authenticate(staff_member)
    response = api.post(f"/api/expenses/{expense.pk}/{decision}/", {"note": "ok"}, format="json")
    assert response.status_code == 403
    expense.refresh_from_db()
    assert expense.status == Expense.Status.PENDING


def test_a_manager_approves_and_the_submitter_is_told_on_whatsapp(api, boss, staff_member, graph, catalogue,
                                                                 django_capture_on_commit_callbacks):
    expense = factories.expense(by=staff_member)
    api.force_authenticate(boss)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/expenses/{expense.pk}/approve/", {"note": "fine"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    expense.refresh_from_db()
    assert expense.reviewed_by == boss and expense.review_note == "fine"
    # The submitter never wrote in, so their window is closed: the review outcome goes as a template.
    (sent,) = graph.sent("template")
    assert (sent["to"], sent["template"]["name"]) == ("+16505551234", settings.WHATSAPP_REVIEW_OUTCOME_TEMPLATE)


def test_a_manager_rejects_with_a_note(api, boss, staff_member):
    expense = factories.expense(by=staff_member)
    api.force_authenticate(boss)
    response = api.post(f"/api/expenses/{expense.pk}/reject/", {"note": "no receipt"}, format="json")
    assert response.json()["status"] == "rejected"


def test_reviewing_twice_is_a_clear_400(api, boss, staff_member):
    expense = factories.expense(by=staff_member, status=Expense.Status.APPROVED)
    api.force_authenticate(boss)
    response = api.post(f"/api/expenses/{expense.pk}/approve/", {}, format="json")
    assert response.status_code == 400 and "already" in response.json()["detail"]


def test_invoices_are_created_with_a_generated_number(api, staff_member):
    acme = factories.customer()
    api.force_authenticate(staff_member)
    response = api.post("/api/invoices/", {"customer_id": acme.pk, "description": "Website", "net": "1000"},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith(f"INV-{timezone.localdate().year}-")
    assert (body["net"], body["gross"]) == ("1000.00", "1190.00")


def test_invalid_invoice_input_is_a_400_with_the_reason(api, staff_member):
    api.force_authenticate(staff_member)
    response = api.post("/api/invoices/", {"customer_id": 1, "description": "x"}, format="json")
    assert response.status_code == 400


def test_invoices_filter_by_state_and_are_marked_paid(api, staff_member):
    acme = factories.customer()
    today = timezone.localdate()
    overdue = factories.invoice(to=acme, by=staff_member, issued_on=today - timedelta(days=30),
                                due_on=today - timedelta(days=10))
    factories.invoice(to=acme, by=staff_member)
    api.force_authenticate(staff_member)
    rows = api.get("/api/invoices/?state=overdue").json()["results"]
    assert [row["id"] for row in rows] == [overdue.pk] and rows[0]["overdue"] is True
    response = api.post(f"/api/invoices/{overdue.pk}/mark-paid/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "paid"
    assert Invoice.objects.get(pk=overdue.pk).paid_on == today
    assert api.get("/api/invoices/?state=overdue").json()["results"] == []


def test_the_openapi_schema_lists_the_endpoints(api, staff_member):
    api.force_authenticate(staff_member)
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/expenses/", "/api/expenses/{id}/approve/", "/api/invoices/",
            "/api/invoices/{id}/mark-paid/"} <= set(paths)


def test_the_docs_page_loads_without_a_cdn(api, staff_member):
    api.force_login(staff_member)
    html = api.get("/api/docs/").content.decode()
    assert "swagger" in html.lower()
    assert not any(host in html for host in ("cdn", "jsdelivr", "unpkg"))


def test_a_manager_without_the_review_permission_gets_403(api, boss, staff_member):
    boss.groups.clear()
    boss = User.objects.get(pk=boss.pk)  # drop the cached permissions
    expense = factories.expense(by=staff_member)
    api.force_authenticate(boss)
    response = api.post(f"/api/expenses/{expense.pk}/approve/", {}, format="json")
    assert response.status_code == 403 and "managers" in response.json()["detail"]
    expense.refresh_from_db()
    assert expense.status == Expense.Status.PENDING


def test_a_person_filter_that_is_not_a_number_is_a_400_not_the_whole_list(api, boss):
    factories.expense(by=boss)
    api.force_authenticate(boss)
    response = api.get("/api/expenses/?person=abc")
    assert response.status_code == 400 and "abc" in response.json()["detail"]
    assert api.get("/api/invoices/?customer=abc").status_code == 400


def test_the_schema_and_docs_are_for_the_team_only(api):
    assert api.get("/api/schema/").status_code in (401, 403)
    assert api.get("/api/docs/").status_code in (401, 403)
    api.force_authenticate(factories.person(role=User.Role.CUSTOMER))
    assert api.get("/api/schema/").status_code == 403
