"""The API's errors: each answered with the status that says what went wrong, and each in the
OpenAPI schema (tests/test_schemathesis.py then runs schemathesis over the live schema)."""

import pytest

from accounts.models import User
from agent.models import Expense, Invoice
from tests.agent import factories

pytestmark = pytest.mark.django_db
HUGE = 10**30  # no database id is this large


@pytest.fixture
def boss(api):
    boss = factories.person(role=User.Role.MANAGER, first_name="Maya")
    api.force_authenticate(boss)
    return boss


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


# --- state conflicts: 409 -------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_reviewing_a_reviewed_expense_is_a_conflict(api, boss, action):
    expense = factories.expense(by=factories.person(), status=Expense.Status.APPROVED)
    response = api.post(f"/api/expenses/{expense.pk}/{action}/", {}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": f"Expense #{expense.pk} was already approved."}


def test_paying_a_paid_invoice_is_a_conflict(api, boss):
    invoice = factories.invoice(to=factories.customer(), by=boss, status=Invoice.Status.PAID)
    response = api.post(f"/api/invoices/{invoice.pk}/mark-paid/", {}, format="json")
    assert response.status_code == 409 and "already paid" in response.json()["detail"]


# --- ids no record can have: 404 ------------------------------------------------------------------
@pytest.mark.parametrize(("method", "url"), [
    ("get", f"/api/invoices/?customer={HUGE}"),
    ("get", f"/api/expenses/?person={HUGE}"),
    ("get", f"/api/expenses/{HUGE}/"),
    ("get", f"/api/invoices/{HUGE}/"),
    ("get", f"/api/invoices/{HUGE}/pdf/"),
    ("post", f"/api/expenses/{HUGE}/approve/"),
    ("post", f"/api/invoices/{HUGE}/mark-paid/"),
    ("get", "/api/expenses/0/"),
    ("get", "/api/invoices/?customer=-1"),
])
def test_an_id_out_of_range_is_not_found(api, boss, method, url):
    response = getattr(api, method)(url, {}, format="json") if method == "post" else api.get(url)
    assert response.status_code == 404
    assert "detail" in response.json()


def test_an_invoice_for_a_customer_id_out_of_range_is_not_found(api, boss):
    response = api.post("/api/invoices/", {"customer_id": HUGE, "description": "Website", "net": "100"},
                        format="json")
    assert response.status_code == 404


# --- query parameters: 400 naming them ------------------------------------------------------------
@pytest.mark.parametrize(("query", "named"), [
    ("page_size=1&page_size=2", "page_size"),
    ("page_size=0", "page_size"),
    ("page_size=201", "page_size"),
    ("page_size=ten", "page_size"),
    ("page=0", "page"),
    ("status=lost", "status"),
    ("status=", "status"),
    ("category=yachts", "category"),
    ("date_from=yesterday", "date_from"),
    ("person=1&person=2", "person"),
])
def test_an_invalid_expense_list_parameter_is_a_400_naming_it(api, boss, query, named):
    response = api.get(f"/api/expenses/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [named]


@pytest.mark.parametrize("query", ["state=late", "customer=abc", "state=open&state=paid", "page_size=-5"])
def test_an_invalid_invoice_list_parameter_is_a_400(api, boss, query):
    assert api.get(f"/api/invoices/?{query}").status_code == 400


def test_valid_parameters_still_filter_and_page(api, boss):
    for _ in range(3):
        factories.expense(by=boss, category="fuel")
    factories.expense(by=boss, category="meals")
    body = api.get("/api/expenses/?category=fuel&page_size=2&page=2").json()
    assert body["count"] == 3 and len(body["results"]) == 1


# --- the schema names every error -----------------------------------------------------------------
@pytest.fixture
def schema(api, boss):
    return api.get("/api/schema/?format=json").json()


def statuses(schema, method: str, path: str) -> set[str]:
    return set(schema["paths"][path][method]["responses"])


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/expenses/"), ("get", "/api/expenses/{id}/"), ("get", "/api/invoices/"),
    ("post", "/api/invoices/"), ("get", "/api/invoices/{id}/"), ("get", "/api/invoices/{id}/pdf/"),
])
def test_the_schema_documents_the_errors_of_every_operation(schema, method, path):
    assert {"400", "401", "403", "404"} <= statuses(schema, method, path)


@pytest.mark.parametrize("path", ["/api/expenses/{id}/approve/", "/api/expenses/{id}/reject/",
                                  "/api/invoices/{id}/mark-paid/"])
def test_the_schema_documents_the_conflicts(schema, path):
    assert {"400", "401", "403", "404", "409", "415"} <= statuses(schema, "post", path)


def test_the_schema_documents_the_login_and_its_lockout(schema):
    assert statuses(schema, "post", "/api/auth/token/") == {"200", "400", "415", "429"}


def test_the_schema_documents_each_list_parameter_with_its_type(schema):
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/expenses/"]["get"]["parameters"]}
    assert parameters["page_size"] == {"type": "integer", "maximum": 200, "minimum": 1}
    assert sorted(parameters["status"]["enum"]) == ["approved", "pending", "rejected"]
    assert parameters["date_from"] == {"type": "string", "format": "date"}
    assert "/api/schema/" not in schema["paths"]


# --- what is not the API's shape ------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/api/expenses/1.5/", "/api/invoices/0.5/pdf/", "/api/nothing/here/"])
def test_a_url_that_names_nothing_answers_in_json(api, boss, url):
    for response in (api.get(url), api.post(url, {}, format="json")):
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_a_note_that_is_not_text_is_refused(api, boss):
    expense = factories.expense(by=factories.person())
    response = api.post(f"/api/expenses/{expense.pk}/approve/", {"note": 0}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["note"]
    assert Expense.objects.get(pk=expense.pk).status == Expense.Status.PENDING


def test_a_body_that_is_not_json_is_refused(api, boss):
    expense = factories.expense(by=factories.person())
    response = api.post(f"/api/expenses/{expense.pk}/approve/", {"note": "fine"}, format="multipart")
    assert response.status_code == 415
    assert Expense.objects.get(pk=expense.pk).status == Expense.Status.PENDING
