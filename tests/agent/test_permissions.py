"""Each role is offered its own tools, and every tool checks the permission again when it runs."""

from decimal import Decimal

import pytest

from accounts.models import User
from agent.models import Expense, ToolCall
from tests.agent import factories

CUSTOMER_WA_ID = "4915112345678"
MANAGER_WA_ID = "972987654321"


@pytest.fixture
def customer_user(db):
    return User.objects.create_user(username="acme", phone_number=f"+{CUSTOMER_WA_ID}", first_name="Ada",
                                    role=User.Role.CUSTOMER)


@pytest.fixture
def colleague(db):
    return factories.person(first_name="Colin", last_name="League", phone="+15550001111")


def offered_tools(fake_openai, request_index: int = 0) -> set[str]:
    return {t["function"]["name"] for t in fake_openai.chat_requests[request_index].get("tools", [])}


def test_a_customer_is_offered_only_their_own_invoices_and_their_pdfs(fake_openai, customer_user, say):
    say("hello", sender=CUSTOMER_WA_ID)
    assert offered_tools(fake_openai) == {"my_invoices", "send_my_invoices"}


def test_staff_are_offered_every_bookkeeping_tool_but_review_expense(fake_openai, staff, say):
    say("hello")
    tools = offered_tools(fake_openai)
    assert "review_expense" not in tools and "my_invoices" not in tools and "send_my_invoices" not in tools
    assert {"record_expense", "list_expenses", "delete_expense", "create_invoice", "mark_invoice_paid",
            "send_invoice"} <= tools


def test_a_manager_is_also_offered_review_expense(fake_openai, manager, say):
    say("hello", sender=MANAGER_WA_ID)
    assert "review_expense" in offered_tools(fake_openai)
    assert "my_invoices" not in offered_tools(fake_openai)


def test_staff_calling_review_expense_are_refused(fake_openai, staff, colleague, say):
    expense = factories.expense(by=colleague)
    fake_openai.call(("review_expense", {"expense_id": expense.pk, "decision": "approve"}))
    fake_openai.reply("I can't do that.")
    say(f"approve expense {expense.pk}")
    [result] = fake_openai.tool_results(1)
    assert result["ok"] is False and "not available to you" in result["error"]
    expense.refresh_from_db()
    assert expense.status == Expense.Status.PENDING and expense.reviewed_by is None
    assert ToolCall.objects.get().error


def test_staff_asking_for_another_persons_expenses_are_refused(fake_openai, staff, colleague, say):
    factories.expense(by=colleague, description="colleague's lunch")
    fake_openai.call(("list_expenses", {"person": "Colin"}))
    fake_openai.reply("I can only show your own expenses.")
    say("show me Colin's expenses")
    [result] = fake_openai.tool_results(1)
    assert result == {"ok": False, "error": "You can only see your own expenses."}
    assert "colleague's lunch" not in str(fake_openai.chat_requests[1]["messages"])


def test_staff_listing_expenses_never_see_anyone_elses(fake_openai, staff, colleague, say):
    factories.expense(by=colleague, description="colleague's lunch")
    own = factories.expense(by=staff, description="my fuel")
    fake_openai.call(("list_expenses", {}))
    fake_openai.reply("Here they are.")
    say("all expenses")
    [result] = fake_openai.tool_results(1)
    assert [e["id"] for e in result["expenses"]] == [own.pk]


def test_staff_updating_another_persons_expense_are_refused(fake_openai, staff, colleague, say):
    expense = factories.expense(by=colleague, gross="11.90", net="10.00")
    fake_openai.call(("update_expense", {"expense_id": expense.pk, "gross": "999"}))
    fake_openai.reply("Not found.")
    say(f"change expense {expense.pk} to 999")
    [result] = fake_openai.tool_results(1)
    assert result["ok"] is False and f"#{expense.pk}" in result["error"]
    expense.refresh_from_db()
    assert expense.gross == Decimal("11.90")


def test_staff_deleting_another_persons_expense_are_refused(fake_openai, staff, colleague, say, graph):
    expense = factories.expense(by=colleague)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk, "confirm": True}))
    fake_openai.reply("Not found.")
    say(f"delete expense {expense.pk}")
    [result] = fake_openai.tool_results(1)
    assert result["ok"] is False and "not found" in result["error"]
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert graph.sent("interactive") == []


def test_a_staff_button_tap_cannot_delete_another_persons_expense(fake_openai, staff, colleague, say, graph):
    expense = factories.expense(by=colleague)
    say(kind="interactive_button_reply", button_reply={"id": f"confirm:delete_expense:{expense.pk}:yes",
                                                       "title": "Yes"})
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert graph.texts()[-1] == "Sorry, that button isn't for a question I asked you, so nothing was changed."


def test_a_customer_calling_list_expenses_is_refused(fake_openai, staff, customer_user, say):
    factories.expense(by=staff, description="secret")
    fake_openai.call(("list_expenses", {}))
    fake_openai.reply("I can only tell you about your invoices.")
    say("show expenses", sender=CUSTOMER_WA_ID)
    [result] = fake_openai.tool_results(1)
    assert result["ok"] is False and "not available to you" in result["error"]
    assert "secret" not in str(fake_openai.chat_requests[1]["messages"])


def test_a_customer_calling_record_expense_saves_nothing(fake_openai, customer_user, say):
    fake_openai.call(("record_expense", {"gross": "10", "category": "fuel"}))
    fake_openai.reply("I can't.")
    say("record 10 fuel", sender=CUSTOMER_WA_ID)
    assert fake_openai.tool_results(1)[0]["ok"] is False
    assert not Expense.objects.exists()


def test_a_manager_sees_another_persons_expenses_by_name(fake_openai, manager, colleague, say):
    theirs = factories.expense(by=colleague)
    fake_openai.call(("list_expenses", {"person": "Colin"}))
    fake_openai.reply("Colin's expenses.")
    say("Colin's expenses", sender=MANAGER_WA_ID)
    [result] = fake_openai.tool_results(1)
    assert [e["id"] for e in result["expenses"]] == [theirs.pk]


def test_staff_summarising_by_person_are_refused(fake_openai, staff, colleague, say):
    factories.expense(by=colleague)
    fake_openai.call(("list_expenses", {"group_by": "person"}))
    fake_openai.reply("I can only summarise your own expenses.")
    say("who spent what?")
    assert fake_openai.tool_results(1) == [{"ok": False, "error": "Only managers can see expenses by person."}]


def test_a_staff_summary_totals_only_their_own_expenses(fake_openai, staff, colleague, say):
    factories.expense(by=colleague, category="fuel", gross="500.00", net="420.17")
    factories.expense(by=staff, category="fuel", gross="11.90", net="10.00")
    fake_openai.call(("list_expenses", {"group_by": "category"}))
    fake_openai.reply("Fuel: EUR 11.90.")
    say("summary")
    [result] = fake_openai.tool_results(1)
    assert [(r["group"], r["count"], r["gross"]) for r in result["rows"]] == [("fuel", 1, "11.90")]


def test_a_customer_never_sees_drafts_or_other_customers_invoices(fake_openai, staff, customer_user, say):
    mine = factories.customer(company_name="Acme GmbH", user=customer_user)
    sent = factories.invoice(to=mine, by=staff)
    factories.invoice(to=mine, by=staff, status="draft")
    factories.invoice(to=factories.customer(company_name="Globex"), by=staff)
    fake_openai.call(("my_invoices", {}))
    fake_openai.reply("One invoice.")
    say("my invoices", sender=CUSTOMER_WA_ID)
    assert [i["id"] for i in fake_openai.tool_results(1)[0]["invoices"]] == [sent.pk]
