from datetime import date
from decimal import Decimal

import pytest

from agent.admin.csv_export import cell
from agent.models import Expense, Invoice
from tests.agent.admin_support import admin_manager, admin_staff
from tests.agent.factories import customer, expense, invoice

pytestmark = pytest.mark.django_db

HEADER = ("id,date,person,category,merchant,description,net,tax_rate,tax,gross,currency,status,reviewed_by,"
          "review_note,receipt")


@pytest.fixture
def boss():
    return admin_manager()


@pytest.fixture
def sam():
    return admin_staff()


def test_cells_are_plain_strings():
    assert cell(Decimal("11.90")) == "11.90"
    assert cell(Decimal("1E+2")) == "100"
    assert cell(date(2026, 1, 31)) == "2026-01-31"
    assert cell(None) == ""


def test_text_a_spreadsheet_would_run_is_defused_but_numbers_and_phones_are_kept():
    assert cell('=HYPERLINK("http://x","y")') == "'=HYPERLINK(\"http://x\",\"y\")"
    assert cell("@SUM(A1)") == "'@SUM(A1)"
    assert cell("-1+cmd|' /C calc'!A0") == "'-1+cmd|' /C calc'!A0"
    assert cell("+49 151 2345678") == "+49 151 2345678"
    assert cell("-5.00") == "-5.00"
    assert cell(Decimal("-5.00")) == "-5.00"
    assert cell("Shell") == "Shell"


def test_the_export_action_is_offered(client, boss, sam):
    expense(by=sam)
    client.force_login(boss)
    assert "Export selected to CSV" in client.get("/admin/agent/expense/").content.decode()


def test_the_export_link_exports_exactly_the_filtered_list(client, boss, sam):
    fuel = expense(by=sam, category="fuel", merchant="Shell", net="35.71", gross="42.50", spent_on=date(2026, 1, 5))
    expense(by=sam, category="meals", merchant="Cafe", spent_on=date(2026, 1, 6))
    client.force_login(boss)
    response = client.get("/admin/agent/expense/export/", {"category__exact": "fuel"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="expense.csv"' == response["Content-Disposition"]
    assert response.content.decode() == (
        f"{HEADER}\r\n"
        f"{fuel.pk},2026-01-05,Sam Staff,fuel,Shell,,35.71,0.1900,6.79,42.50,EUR,pending,,,\r\n"
    )


def test_the_export_action_exports_the_selected_rows(client, boss, sam):
    first = expense(by=sam, spent_on=date(2026, 2, 1), status=Expense.Status.APPROVED, reviewed_by=boss,
                    review_note='Fine, "ok"')
    expense(by=sam)
    client.force_login(boss)
    response = client.post("/admin/agent/expense/?status__exact=all",
                           {"action": "export_csv", "_selected_action": [first.pk]})
    lines = response.content.decode().split("\r\n")
    assert lines[0] == HEADER
    assert lines[1] == f'{first.pk},2026-02-01,Sam Staff,other,,,10.00,0.1900,1.90,11.90,EUR,approved,Maya Boss,"Fine, ""ok""",'
    assert lines[2:] == [""]


def test_staff_export_only_their_own_expenses(client, sam):
    other = admin_staff(phone="+4915100000009", first_name="Ana")
    expense(by=other)
    own = expense(by=sam)
    client.force_login(sam)
    lines = client.get("/admin/agent/expense/export/").content.decode().strip().split("\r\n")
    assert len(lines) == 2 and lines[1].startswith(f"{own.pk},")


def test_invoice_csv(client, boss):
    acme = customer(company_name="Acme GmbH")
    paid = invoice(to=acme, by=boss, issued_on=date(2026, 1, 1), due_on=date(2026, 1, 15), status=Invoice.Status.PAID,
                   paid_on=date(2026, 1, 10))
    client.force_login(boss)
    content = client.get("/admin/agent/invoice/export/", {"status__exact": "paid"}).content.decode()
    assert content == (
        "number,customer,description,issued_on,due_on,status,overdue,net,tax_rate,tax,gross,currency,paid_on\r\n"
        f"{paid.number},Acme GmbH,Work,2026-01-01,2026-01-15,paid,no,100.00,0.1900,19.00,119.00,EUR,2026-01-10\r\n"
    )


def test_customer_and_revenue_csv(client, boss):
    from tests.agent.factories import revenue
    acme = customer(company_name="Acme GmbH", city="Berlin")
    revenue(by=boss, customer=acme, received_on=date(2026, 3, 2), description="Consulting")
    client.force_login(boss)
    customers = client.get("/admin/agent/customer/export/").content.decode().split("\r\n")
    assert customers[0] == "id,company_name,contact_name,phone,email,address,postal_code,city,country,created_at"
    assert customers[1].startswith(f"{acme.pk},Acme GmbH,,,,,,Berlin,,")
    revenue_csv = client.get("/admin/agent/revenue/export/", {"q": "Consulting"}).content.decode().split("\r\n")
    assert revenue_csv[0] == "id,date,customer,description,net,tax_rate,tax,gross,currency,recorded_by"
    assert revenue_csv[1].endswith(",2026-03-02,Acme GmbH,Consulting,100.00,0.1900,19.00,119.00,EUR,Maya Boss")
