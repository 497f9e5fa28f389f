"""Review of issue 10 through the REST API: each endpoint decides on the record and the person, not only
on the model permission."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from agent.models import Expense, Invoice
from tests.agent import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    return factories.person(role=User.Role.STAFF, first_name="Ann", phone="+16505550100")


@pytest.fixture
def maya(db):
    return factories.person(role=User.Role.MANAGER, first_name="Maya", phone="+16505550102")


@pytest.fixture
def mo(db):
    return factories.person(role=User.Role.MANAGER, first_name="Mo", phone="+16505550103")


def test_staff_naming_a_colleague_in_the_person_filter_get_403_not_their_expenses(ann, maya):
    factories.expense(by=maya)
    api = APIClient()
    api.force_authenticate(ann)
    response = api.get("/api/expenses/", {"person": maya.pk})
    assert response.status_code == 403
    assert api.get("/api/expenses/", {"person": ann.pk}).json()["results"] == []


def test_a_deactivated_persons_token_opens_nothing(ann):
    token = Token.objects.create(user=ann)
    User.objects.filter(pk=ann.pk).update(is_active=False)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/invoices/").status_code == 401


def test_a_manager_demoted_to_staff_cannot_approve_with_the_token_she_kept(maya, mo, ann):
    expense = factories.expense(by=ann)
    token = Token.objects.create(user=maya)
    maya.role = User.Role.STAFF
    maya.save()  # her group follows her role
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.post(f"/api/expenses/{expense.pk}/approve/").status_code == 403
    assert Expense.objects.get(pk=expense.pk).status == Expense.Status.PENDING


def test_a_page_on_another_site_cannot_approve_or_mark_paid_with_a_managers_admin_session(maya, ann):
    expense = factories.expense(by=ann)
    invoice = factories.invoice(to=factories.customer(), by=ann)
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(maya)
    assert api.post(f"/api/expenses/{expense.pk}/approve/").status_code == 403
    assert api.post(reverse("invoice-mark-paid", args=[invoice.pk])).status_code == 403
    assert Expense.objects.get(pk=expense.pk).status == Expense.Status.PENDING
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.SENT
