"""Every tool, called once by a scripted model through the real path, with its effect asserted.

signed webhook -> pipeline -> agent.runner.reply -> openai client -> fake server -> tool -> Graph fake.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from agent.models import Customer, Expense, Invoice, Revenue, ToolCall
from tests.agent import factories
from tests.agent.confirm_support import button_ids, tap, yes_button

CUSTOMER_WA_ID = "4915112345678"


@pytest.fixture
def customer_user(db):
    return User.objects.create_user(username="acme", phone_number=f"+{CUSTOMER_WA_ID}", first_name="Ada",
                                    last_name="Acme", role=User.Role.CUSTOMER)


def test_record_expense_saves_the_expense_with_its_amounts(fake_openai, staff, say, graph):
    fake_openai.call(("record_expense", {"gross": "42.50", "category": "fuel", "merchant": "Shell",
                                         "spent_on": str(timezone.localdate() - timedelta(days=1))}))
    fake_openai.reply("Saved expense #1.")
    say("spent 42.50 on fuel yesterday at Shell")
    expense = Expense.objects.get()
    assert (expense.gross, expense.net, expense.tax_rate) == (Decimal("42.50"), Decimal("35.71"), Decimal("0.19"))
    assert expense.merchant == "Shell" and expense.category == "fuel"
    assert expense.spent_on == timezone.localdate() - timedelta(days=1)
    assert expense.submitted_by == staff and expense.status == Expense.Status.PENDING
    assert expense.source_message.text == "spent 42.50 on fuel yesterday at Shell"
    assert fake_openai.tool_results(1)[0]["saved"]["id"] == expense.pk


def test_list_expenses_filters_and_totals_the_persons_expenses(fake_openai, staff, say):
    factories.expense(by=staff, category="fuel", gross="11.90", net="10.00", merchant="Shell")
    factories.expense(by=staff, category="fuel", gross="23.80", net="20.00", merchant="Aral")
    factories.expense(by=staff, category="meals", gross="50.00", net="42.02")
    fake_openai.call(("list_expenses", {"category": "fuel", "period": "this month", "amount_min": "15"}))
    fake_openai.reply("One fuel expense.")
    say("fuel over 15 this month?")
    result = fake_openai.tool_results(1)[0]
    assert [e["merchant"] for e in result["expenses"]] == ["⟦Aral⟧"]
    assert result["totals"] == [{"currency": "EUR", "count": 1, "net": "20.00", "tax": "3.80", "gross": "23.80"}]


def test_list_expenses_gives_totals_grouped_by_category(fake_openai, staff, say):
    factories.expense(by=staff, category="fuel", gross="11.90", net="10.00")
    factories.expense(by=staff, category="fuel", gross="11.90", net="10.00")
    factories.expense(by=staff, category="meals", gross="5.95", net="5.00")
    fake_openai.call(("list_expenses", {"group_by": "category"}))
    fake_openai.reply("Summary.")
    say("summary by category")
    rows = fake_openai.tool_results(1)[0]["rows"]
    assert [(r["group"], r["count"], r["gross"]) for r in rows] == [("fuel", 2, "23.80"), ("meals", 1, "5.95")]


def test_list_expenses_gives_totals_grouped_by_month(fake_openai, staff, say):
    today = timezone.localdate()
    last_month = today.replace(day=1) - timedelta(days=1)
    factories.expense(by=staff, spent_on=today)
    factories.expense(by=staff, spent_on=last_month)
    fake_openai.call(("list_expenses", {"group_by": "month"}))
    fake_openai.reply("Summary.")
    say("summary by month")
    rows = fake_openai.tool_results(1)[0]["rows"]
    assert [r["group"] for r in rows] == [f"{last_month:%Y-%m}", f"{today:%Y-%m}"]


def test_list_expenses_gives_totals_grouped_by_person_for_a_manager(fake_openai, staff, manager, say):
    factories.expense(by=staff, gross="11.90", net="10.00")
    factories.expense(by=manager, gross="23.80", net="20.00")
    fake_openai.call(("list_expenses", {"group_by": "person"}))
    fake_openai.reply("Summary.")
    say("who spent what", sender="972987654321")
    rows = fake_openai.tool_results(1)[0]["rows"]
    assert [(r["label"], r["gross"]) for r in rows] == [("⟦Maya Boss⟧", "23.80"), ("⟦Sheena Nelson⟧", "11.90")]


def test_update_expense_asks_first_and_a_yes_tap_changes_the_persons_pending_expense(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff, category="other")
    fake_openai.call(("update_expense", {"expense_id": expense.pk, "category": "travel", "gross": "59.50"}))
    fake_openai.reply("Shall I change it?")
    say(f"expense {expense.pk} was travel, 59.50")
    expense.refresh_from_db()
    assert (expense.category, expense.gross) == ("other", Decimal("11.90"))  # asked, not changed yet
    tap(say, yes_button(graph))
    expense.refresh_from_db()
    assert (expense.category, expense.gross, expense.net) == ("travel", Decimal("59.50"), Decimal("50.00"))
    assert graph.texts()[-1] == (f"Changed expense #{expense.pk}: EUR 59.50 (net 50.00, tax 9.50), travel, "
                                 f"{expense.spent_on:%Y-%m-%d}.")


def test_delete_expense_asks_with_yes_no_buttons_and_deletes_nothing(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Shall I delete it?")
    say(f"delete expense {expense.pk}")
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert fake_openai.tool_results(1)[0]["confirmation_required"] is True
    [question] = graph.sent("interactive")
    assert question["interactive"]["type"] == "button"
    assert [b["reply"]["title"] for b in question["interactive"]["action"]["buttons"]] == ["Yes", "No"]
    yes, no = button_ids(graph)
    assert yes.startswith("confirm:") and yes.endswith(":yes") and no == yes.removesuffix("yes") + "no"


def test_tapping_yes_deletes_the_expense_without_asking_the_model(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Shall I delete it?")
    say(f"delete expense {expense.pk}")
    requests_before = len(fake_openai.chat_requests)
    say(kind="interactive_button_reply", button_reply={"id": button_ids(graph)[0], "title": "Yes"})
    assert not Expense.objects.filter(pk=expense.pk).exists()
    assert len(fake_openai.chat_requests) == requests_before
    assert graph.texts()[-1] == f"Deleted expense #{expense.pk} (EUR 11.90)."


def test_tapping_no_keeps_the_expense(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Shall I delete it?")
    say(f"delete expense {expense.pk}")
    say(kind="interactive_button_reply", button_reply={"id": button_ids(graph)[1], "title": "No"})
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert graph.texts()[-1] == "OK, I left it as it was."


def test_record_revenue_saves_money_received_from_a_customer(fake_openai, staff, say):
    acme = factories.customer()
    fake_openai.call(("record_revenue", {"gross": "1,190", "customer_id": acme.pk, "description": "website"}))
    fake_openai.reply("Saved.")
    say("we got 1,190 from Acme for the website")
    revenue = Revenue.objects.get()
    assert (revenue.gross, revenue.net, revenue.customer) == (Decimal("1190.00"), Decimal("1000.00"), acme)
    assert revenue.recorded_by == staff


def test_list_revenue_returns_rows_and_totals(fake_openai, staff, say):
    factories.revenue(by=staff, description="website")
    factories.revenue(by=staff, description="hosting", gross="238.00", net="200.00")
    fake_openai.call(("list_revenue", {"text": "web"}))
    fake_openai.reply("Revenue.")
    say("revenue for the website?")
    result = fake_openai.tool_results(1)[0]
    assert [r["description"] for r in result["revenue"]] == ["⟦website⟧"]
    assert result["totals"][0]["gross"] == "119.00"


def test_profit_summary_is_revenue_minus_expenses(fake_openai, staff, say):
    factories.revenue(by=staff, gross="119.00", net="100.00")
    factories.expense(by=staff, gross="35.70", net="30.00")
    fake_openai.call(("profit_summary", {"period": "this month"}))
    fake_openai.reply("Profit.")
    say("profit this month?")
    result = fake_openai.tool_results(1)[0]
    assert result["ok"] is True
    assert result["summary"]["EUR"]["profit_net"] == "70.00"


def test_add_customer_saves_the_customer(fake_openai, staff, say):
    fake_openai.call(("add_customer", {"company_name": "Globex", "contact_name": "Hank", "city": "Springfield",
                                       "email": "hank@globex.example"}))
    fake_openai.reply("Added.")
    say("add customer Globex, Hank, Springfield")
    customer = Customer.objects.get()
    assert (customer.company_name, customer.contact_name, customer.city) == ("Globex", "Hank", "Springfield")
    assert fake_openai.tool_results(1)[0]["saved"]["id"] == customer.pk


def test_find_customer_finds_by_part_of_the_name(fake_openai, staff, say):
    acme = factories.customer(company_name="Acme GmbH")
    factories.customer(company_name="Globex")
    fake_openai.call(("find_customer", {"query": "acme"}))
    fake_openai.reply("Found.")
    say("find acme")
    assert [c["id"] for c in fake_openai.tool_results(1)[0]["customers"]] == [acme.pk]


def test_create_invoice_numbers_and_saves_the_invoice(fake_openai, staff, say):
    acme = factories.customer()
    fake_openai.call(("create_invoice", {"customer_id": acme.pk, "description": "Website", "net": "1000"}))
    fake_openai.reply("Invoice created.")
    say("invoice Acme 1000 net for the website")
    invoice = Invoice.objects.get()
    assert (invoice.customer, invoice.net, invoice.gross) == (acme, Decimal("1000.00"), Decimal("1190.00"))
    assert invoice.number.startswith(f"INV-{timezone.localdate().year}-")
    assert fake_openai.tool_results(1)[0]["saved"]["number"] == invoice.number


@pytest.mark.parametrize("state, expected", [("open", {"⟦OPEN⟧", "⟦LATE⟧"}), ("overdue", {"⟦LATE⟧"}),
                                             ("paid", {"⟦PAID⟧"})])
def test_list_invoices_by_state(fake_openai, staff, say, state, expected):
    acme = factories.customer()
    today = timezone.localdate()
    open_ = factories.invoice(to=acme, by=staff, due_on=today + timedelta(days=5))
    late = factories.invoice(to=acme, by=staff, issued_on=today - timedelta(days=30), due_on=today - timedelta(days=1))
    paid = factories.invoice(to=acme, by=staff, status=Invoice.Status.PAID)
    Invoice.objects.filter(pk=open_.pk).update(description="OPEN")
    Invoice.objects.filter(pk=late.pk).update(description="LATE")
    Invoice.objects.filter(pk=paid.pk).update(description="PAID")
    fake_openai.call(("list_invoices", {"state": state}))
    fake_openai.reply("Invoices.")
    say(f"{state} invoices?")
    assert {i["description"] for i in fake_openai.tool_results(1)[0]["invoices"]} == expected


def test_mark_invoice_paid_asks_first_and_a_yes_tap_marks_it_paid(fake_openai, staff, say, graph):
    invoice = factories.invoice(to=factories.customer(), by=staff)
    fake_openai.call(("mark_invoice_paid", {"invoice_id": invoice.pk}))
    fake_openai.reply("Mark it paid?")
    say(f"invoice {invoice.number} is paid")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.SENT
    tap(say, yes_button(graph))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on) == (Invoice.Status.PAID, timezone.localdate())


def test_review_expense_approves_and_tells_the_submitter(fake_openai, staff, manager, say, graph):
    say("/help")  # Sheena wrote recently, so she can be told in free text
    expense = factories.expense(by=staff, category="fuel")
    fake_openai.call(("review_expense", {"expense_id": expense.pk, "decision": "approve", "note": "fine"}))
    fake_openai.reply("Approve it?")
    say(f"approve {expense.pk}", sender="972987654321")
    assert Expense.objects.get(pk=expense.pk).status == "pending"  # asked, not reviewed yet
    tap(say, yes_button(graph), sender="972987654321")
    expense.refresh_from_db()
    assert (expense.status, expense.reviewed_by, expense.review_note) == ("approved", manager, "fine")
    told = [m for m in graph.sent("text") if m["to"].lstrip("+") == "16505551234"]
    assert f"Your expense #{expense.pk}" in told[-1]["text"]["body"]
    assert "approved" in told[-1]["text"]["body"]


def test_my_invoices_shows_a_customer_their_own_invoices(fake_openai, staff, customer_user, say):
    mine = factories.customer(company_name="Acme GmbH", user=customer_user)
    other = factories.customer(company_name="Globex")
    own = factories.invoice(to=mine, by=staff, gross="119.00")
    factories.invoice(to=other, by=staff)
    fake_openai.call(("my_invoices", {}))
    fake_openai.reply("You owe EUR 119.00.")
    say("what do I owe?", sender=CUSTOMER_WA_ID)
    result = fake_openai.tool_results(1)[0]
    assert [i["id"] for i in result["invoices"]] == [own.pk]
    assert result["outstanding"][0]["gross"] == "119.00"
    assert ToolCall.objects.get().name == "my_invoices"


def test_review_expense_rejects_with_a_note_and_tells_the_submitter(fake_openai, staff, manager, say, graph):
    say("/help")  # Sheena wrote recently, so she can be told in free text
    expense = factories.expense(by=staff, category="meals", merchant="Ritz")
    fake_openai.call(("review_expense", {"expense_id": expense.pk, "decision": "reject", "note": "not a work lunch"}))
    fake_openai.reply("Reject it?")
    say(f"reject {expense.pk}, not a work lunch", sender="972987654321")
    tap(say, yes_button(graph), sender="972987654321")
    expense.refresh_from_db()
    assert (expense.status, expense.reviewed_by, expense.review_note) == ("rejected", manager, "not a work lunch")
    assert expense.reviewed_at is not None
    [told] = [m["text"]["body"] for m in graph.sent("text") if m["to"].lstrip("+") == "16505551234"][1:]
    assert "was rejected by" in told and told.endswith("Note: not a work lunch")
    assert ToolCall.objects.get(name="review_expense", model="").result["reviewed"]["status"] == "rejected"
    assert graph.texts()[-1] == f"Expense #{expense.pk} rejected; the submitter was told on WhatsApp."


def test_list_invoices_of_one_customer(fake_openai, staff, say):
    acme, globex = factories.customer(company_name="Acme GmbH"), factories.customer(company_name="Globex")
    theirs = factories.invoice(to=globex, by=staff, gross="238.00", net="200.00")
    factories.invoice(to=acme, by=staff)
    fake_openai.call(("list_invoices", {"state": "all", "customer_id": globex.pk}))
    fake_openai.reply("Globex has one invoice.")
    say("invoices of Globex?")
    result = fake_openai.tool_results(1)[0]
    assert [i["id"] for i in result["invoices"]] == [theirs.pk]
    assert result["totals"][0]["gross"] == "238.00"
