"""Invoice lines: totals per tax rate as EN 16931 rounds them, the one-amount path as one line, lines
through the service, the API and the assistant's tool, and the migration that gave old invoices a line."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from agent import services
from agent.errors import ApplicationError
from agent.invoices.lines import Line, line_check, lines_check, single_line, totals_of
from agent.amounts import Amounts
from agent.models import Invoice, InvoiceLine
from tests.agent.factories import customer, person

pytestmark = pytest.mark.django_db


def line(quantity, price, rate):
    return Line(description="x", quantity=Decimal(quantity), unit="C62", unit_price=Decimal(price),
                tax_rate=Decimal(rate))


def test_the_tax_of_a_rate_is_rounded_once_on_the_rates_net_not_per_line():
    # Three lines of 0.05 at 19%: per line the tax would be 0.01 each (0.03); on the rate's net 0.15 it is 0.03,
    # and 10 lines of 0.05 make net 0.50, tax 0.095 -> 0.10 (per line: 10 x 0.01 = 0.10 as well); 0.35 net: 0.0665
    totals = totals_of([line(1, "0.05", "0.19")] * 7)
    assert (totals.net, totals.tax, totals.gross) == (Decimal("0.35"), Decimal("0.07"), Decimal("0.42"))
    assert sum(round(Decimal("0.05") * Decimal("0.19"), 2) for _ in range(7)) == Decimal("0.07")  # same here
    three = totals_of([line(1, "0.50", "0.07")] * 3)  # per line 0.035 -> 0.04 x 3 = 0.12; per rate 0.105 -> 0.11
    assert three.tax == Decimal("0.11")


def test_line_net_amounts_are_rounded_half_up_to_cents():
    assert line("3", "0.335", "0.19").net_amount == Decimal("1.01")  # 1.005
    assert line("2", "7.495", "0.07").net_amount == Decimal("14.99")


def test_totals_are_broken_down_per_rate_highest_first():
    totals = totals_of([line("3.5", "85", "0.19"), line(1, "412.30", "0.19"), line(2, "7.495", "0.07")])
    assert [(r.rate, r.net, r.tax) for r in totals.by_rate] == [
        (Decimal("0.1900"), Decimal("709.80"), Decimal("134.86")), (Decimal("0.0700"), Decimal("14.99"), Decimal("1.05"))]
    assert (totals.net, totals.tax, totals.gross) == (Decimal("724.79"), Decimal("135.91"), Decimal("860.70"))
    assert totals.tax_rate == Decimal("0.1875")  # effective: 135.91 / 724.79


def test_a_zero_rate_line_is_zero_rated():
    assert totals_of([line(1, "10", "0")]).by_rate[0].category == "Z"


def test_one_amount_with_a_gross_keeps_that_gross_exactly():
    # 100.00 gross at 19%: net 84.03 gives tax 15.97, together exactly 100.00.
    one = single_line(description="Consulting", amounts=Amounts(net=Decimal("84.03"), tax_rate=Decimal("0.19"),
                                                                  gross=Decimal("100.00")))
    assert totals_of([one]).gross == Decimal("100.00")
    assert (one.quantity, one.unit, one.unit_price) == (Decimal(1), "C62", Decimal("84.03"))


@pytest.mark.parametrize("raw, error", [
    ({"description": "", "unit_price": "1"}, "Line 1 needs a description."),
    ({"description": "x", "unit_price": "1", "quantity": "0"}, "quantity must be more than zero"),
    ({"description": "x", "unit_price": "-1"}, "cannot be negative"),
    ({"description": "x", "unit_price": "1.00001"}, "more than four decimals"),
    ({"description": "x", "unit_price": "1", "unit": "furlong"}, "unknown unit 'furlong'"),
    ({"description": "x", "unit_price": "1", "tax_rate": "150%"}, "not a tax rate"),
])
def test_it_refuses_a_line_it_cannot_read_and_names_it(raw, error):
    with pytest.raises(ApplicationError, match=error):
        lines_check([raw], default_tax_rate=Decimal("0.19"))


def test_units_are_read_by_code_or_name():
    assert line_check(description="x", unit="hours", unit_price=1, default_tax_rate=0).unit == "HUR"
    assert line_check(description="x", unit="kgm", unit_price=1, default_tax_rate=0).unit == "KGM"


def test_an_invoice_made_from_one_amount_has_one_line_equal_to_it():
    ana = person()
    invoice = services.invoice_create(user=ana, customer_id=customer().pk, description="Consulting", gross="1,200")
    [only] = invoice.lines.all()
    assert (only.description, only.quantity, only.unit_price, only.tax_rate) == (
        "Consulting", Decimal(1), invoice.net, invoice.tax_rate)
    assert (invoice.net, invoice.gross, invoice.tax) == (Decimal("1008.40"), Decimal("1200.00"), Decimal("191.60"))


def test_an_invoice_made_from_lines_stores_their_totals():
    invoice = services.invoice_create(user=person(), customer_id=customer().pk, lines=[
        {"description": "Repair", "quantity": "3.5", "unit": "hour", "unit_price": "85"},
        {"description": "Cleaning agent", "quantity": 2, "unit": "l", "unit_price": "7.495", "tax_rate": "7%"},
    ], supplied_on="2026-01-02", issued_on="2026-01-05")
    assert [(l.position, l.unit, l.net_amount) for l in invoice.lines.all()] == [
        (1, "HUR", Decimal("297.50")), (2, "LTR", Decimal("14.99"))]
    assert (invoice.net, invoice.tax, invoice.gross) == (Decimal("312.49"), Decimal("57.58"), Decimal("370.07"))
    assert invoice.description == "Repair" and str(invoice.supplied_on) == "2026-01-02"


def test_it_refuses_lines_and_one_amount_together():
    with pytest.raises(ApplicationError, match="either lines or one amount"):
        services.invoice_create(user=person(), customer_id=customer().pk, net="10",
                                lines=[{"description": "x", "unit_price": "1"}])


def test_the_api_creates_an_invoice_from_lines_and_shows_them(api_client_for):
    api = api_client_for(person())
    acme = customer()
    response = api.post("/api/invoices/", {"customer_id": acme.pk, "lines": [
        {"description": "Website", "unit_price": "1000"},
        {"description": "Books", "quantity": "3", "unit_price": "20", "tax_rate": "7%"}]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["net"], body["tax_rate"], body["gross"]) == ("1060.00", "0.1832", "1254.20")
    assert [l["net_amount"] for l in body["lines"]] == ["1000.00", "60.00"]
    assert body["tax_by_rate"] == [{"rate": "0.1900", "net": "1000.00", "tax": "190.00"},
                                   {"rate": "0.0700", "net": "60.00", "tax": "4.20"}]


def test_the_api_still_takes_one_amount_and_makes_one_line(api_client_for):
    api = api_client_for(person())
    response = api.post("/api/invoices/", {"customer_id": customer().pk, "description": "Website", "net": "1000"},
                        format="json")
    assert response.status_code == 201
    assert [(l["description"], l["quantity"], l["unit_price"]) for l in response.json()["lines"]] == [
        ("Website", "1.0000", "1000.0000")]


def test_the_api_says_which_line_is_wrong(api_client_for):
    api = api_client_for(person())
    response = api.post("/api/invoices/", {"customer_id": customer().pk, "lines": [
        {"description": "ok", "unit_price": "1"}, {"description": "bad", "unit_price": "1", "unit": "parsec"}]},
        format="json")
    assert response.status_code == 400
    assert "Line 2: unknown unit 'parsec'" in response.json()["detail"]


def test_the_create_invoice_tool_takes_lines(fake_openai, staff, say):
    acme = customer()
    fake_openai.call(("create_invoice", {"customer_id": acme.pk, "lines": [
        {"description": "Pipes", "quantity": 4, "unit": "m", "unit_price": "12.50"},
        {"description": "Fitting", "unit_price": "30"}]}))
    fake_openai.reply("Done.")
    say("invoice acme for 4 m pipes at 12.50 and a fitting at 30")
    invoice = Invoice.objects.get()
    assert invoice.lines.count() == 2 and invoice.net == Decimal("80.00")
    result = fake_openai.tool_results(1)[0]
    assert result["document"].startswith(f"Invoice {invoice.number} cannot be issued yet")


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_older_invoice_one_line_equal_to_its_amounts():
    executor = MigrationExecutor(connection)
    executor.migrate([("agent", "0007_invoice_documents")])
    apps = executor.loader.project_state([("agent", "0007_invoice_documents")]).apps
    User, Customer, OldInvoice = (apps.get_model("accounts", "User"), apps.get_model("agent", "Customer"),
                                  apps.get_model("agent", "Invoice"))
    user = User.objects.create(username="old")
    acme = Customer.objects.create(company_name="Acme")
    old = OldInvoice.objects.create(number="INV-2020-0001", customer=acme, description="Old work", net="100.00",
                                    tax_rate="0.1900", gross="119.00", issued_on="2020-01-01", due_on="2020-01-15",
                                    created_by=user, currency="EUR")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    [moved] = InvoiceLine.objects.filter(invoice_id=old.pk)
    assert (moved.description, moved.quantity, moved.unit_price, moved.tax_rate, moved.net_amount) == (
        "Old work", Decimal(1), Decimal("100.00"), Decimal("0.19"), Decimal("100.00"))
