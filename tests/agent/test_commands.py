"""/commands are answered by code: with no OPENAI_API_KEY, and never asking the model when it is there."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from agent.models import AgentTurn, Expense, Invoice
from tests.agent import factories

CUSTOMER_WA_ID = "4915112345678"


@pytest.fixture
def customer_user(db):
    return User.objects.create_user(username="acme", phone_number=f"+{CUSTOMER_WA_ID}", first_name="Ada",
                                    role=User.Role.CUSTOMER)


@pytest.fixture
def last_month():
    return timezone.localdate().replace(day=1) - timedelta(days=1)


def test_help_lists_the_staff_commands(assistant_without_llm, staff, say, graph):
    say("/help")
    [text] = graph.texts()
    assert "/expense 12.50 fuel [category]" in text and "/expenses" in text and "/invoices [overdue]" in text


def test_help_lists_only_the_customer_commands_for_a_customer(assistant_without_llm, customer_user, say, graph):
    say("/help", sender=CUSTOMER_WA_ID)
    [text] = graph.texts()
    assert "/invoices" in text and "/expense" not in text


def test_expense_records_amount_description_and_category(assistant_without_llm, staff, say, graph):
    say("/expense 12.50 fuel")
    expense = Expense.objects.get()
    assert (expense.gross, expense.category, expense.submitted_by) == (Decimal("12.50"), "fuel", staff)
    assert graph.texts()[0].startswith(f"Saved expense #{expense.pk}: EUR 12.50 gross")


def test_expense_takes_an_explicit_category_last(assistant_without_llm, staff, say):
    say("/expense 12,5 taxi to the airport travel")
    expense = Expense.objects.get()
    assert (expense.gross, expense.category, expense.description) == (Decimal("12.50"), "travel",
                                                                      "taxi to the airport")


def test_expense_without_an_amount_answers_with_usage_and_help(assistant_without_llm, staff, say, graph):
    say("/expense")
    assert not Expense.objects.exists()
    assert graph.texts()[0].startswith("Usage: /expense 12.50 fuel [category]")


def test_expenses_lists_this_months_expenses_with_totals(assistant_without_llm, staff, say, graph, last_month):
    factories.expense(by=staff, gross="11.90", net="10.00", category="fuel")
    factories.expense(by=staff, gross="23.80", net="20.00", category="meals")
    factories.expense(by=staff, gross="99.00", net="83.19", spent_on=last_month)
    say("/expenses this month")
    [text] = graph.texts()
    assert text.startswith("Expenses this month:")
    assert "Total: EUR 35.70 gross, EUR 30.00 net (2 expenses)" in text
    assert "99.00" not in text


def test_expenses_last_month_lists_last_months(assistant_without_llm, staff, say, graph, last_month):
    factories.expense(by=staff, gross="11.90", net="10.00")
    factories.expense(by=staff, gross="99.00", net="83.19", spent_on=last_month)
    say("/expenses last month")
    [text] = graph.texts()
    assert "EUR 99.00" in text and "11.90" not in text


def test_expenses_shows_only_the_persons_own(assistant_without_llm, staff, say, graph):
    factories.expense(by=factories.person(first_name="Colin"), gross="77.00", net="64.71")
    say("/expenses")
    assert graph.texts() == ["No expenses this month."]


def test_invoices_lists_open_invoices(assistant_without_llm, staff, say, graph):
    acme = factories.customer()
    open_ = factories.invoice(to=acme, by=staff)
    paid = factories.invoice(to=acme, by=staff, status=Invoice.Status.PAID)
    say("/invoices")
    [text] = graph.texts()
    assert text.startswith("Open invoices:") and open_.number in text and paid.number not in text


def test_invoices_overdue_lists_only_overdue_ones(assistant_without_llm, staff, say, graph):
    acme = factories.customer()
    today = timezone.localdate()
    current = factories.invoice(to=acme, by=staff)
    late = factories.invoice(to=acme, by=staff, issued_on=today - timedelta(days=40), due_on=today - timedelta(days=3))
    say("/invoices overdue")
    [text] = graph.texts()
    assert text.startswith("Overdue invoices:") and late.number in text and "OVERDUE" in text
    assert current.number not in text


def test_a_customers_invoices_command_shows_only_their_own(assistant_without_llm, staff, customer_user, say, graph):
    mine = factories.invoice(to=factories.customer(company_name="Acme", user=customer_user), by=staff)
    theirs = factories.invoice(to=factories.customer(company_name="Globex"), by=staff)
    say("/invoices", sender=CUSTOMER_WA_ID)
    [text] = graph.texts()
    assert mine.number in text and theirs.number not in text
    assert "Outstanding: EUR 119.00" in text


def test_an_unknown_command_answers_with_the_help(assistant_without_llm, staff, say, graph):
    say("/frobnicate")
    [text] = graph.texts()
    assert text.startswith("I don't know the command /frobnicate.") and "/expense 12.50 fuel" in text


def test_a_staff_command_is_refused_for_a_customer(assistant_without_llm, customer_user, say, graph):
    say("/expense 10 fuel", sender=CUSTOMER_WA_ID)
    assert not Expense.objects.exists()
    assert graph.texts()[0].startswith("That command is for staff.")


def test_commands_work_without_an_openai_key_and_record_no_failure(assistant_without_llm, staff, say, graph):
    say("/expense 5 coffee meals")
    assert Expense.objects.get().category == "meals"
    assert not AgentTurn.objects.exists()


def test_commands_never_call_the_model_when_it_is_configured(fake_openai, staff, say, graph):
    for command in ("/help", "/expense 12.50 fuel", "/expenses", "/invoices", "/invoices overdue", "/nope"):
        say(command)
    assert fake_openai.chat_requests == []
    assert len(graph.texts()) == 6
