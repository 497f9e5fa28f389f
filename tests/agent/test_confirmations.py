"""Deleting and marking paid are asked with Yes/No reply buttons; the tap is carried out by code."""

from agent.models import Expense, Invoice, ToolCall
from tests.agent import factories


def ask_to_delete(fake_openai, say, expense):
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Do you want me to delete it?")
    say(f"delete expense {expense.pk}")


def tap(say, button_id: str, title: str = "Yes"):
    say(kind="interactive_button_reply", button_reply={"id": button_id, "title": title})


def test_the_question_goes_out_as_an_interactive_button_message_with_the_models_text(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    [message] = graph.sent("interactive")
    assert message["interactive"]["body"]["text"] == "Do you want me to delete it?"
    assert graph.sent("text") == []


def test_the_question_is_added_when_the_model_forgets_to_ask(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff, gross="11.90", category="fuel")
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Sure.")
    say(f"delete expense {expense.pk}")
    body = graph.sent("interactive")[0]["interactive"]["body"]["text"]
    assert body.startswith("Sure.") and f"Delete expense #{expense.pk} (EUR 11.90, fuel" in body


def test_the_model_is_told_nothing_was_changed_until_the_person_confirms(fake_openai, staff, say):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    [result] = fake_openai.tool_results(1)
    assert result["confirmation_required"] is True and "Nothing was changed" in result["instructions"]
    assert Expense.objects.filter(pk=expense.pk).exists()


def test_a_yes_tap_is_recorded_as_a_tool_call(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    tap(say, f"confirm:delete_expense:{expense.pk}:yes")
    call = ToolCall.objects.get(name="delete_expense", arguments__confirm=True)
    assert call.result["deleted"] == expense.pk and call.model == ""


def test_a_tap_on_an_already_deleted_expense_says_so_without_internals(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    tap(say, f"confirm:delete_expense:{expense.pk}:yes")
    tap(say, f"confirm:delete_expense:{expense.pk}:yes")
    assert graph.texts()[-1] == f"Sorry, that didn't work: Expense #{expense.pk} not found."


def test_a_no_tap_on_mark_paid_leaves_the_invoice_open(fake_openai, staff, say, graph):
    invoice = factories.invoice(to=factories.customer(), by=staff)
    tap(say, f"confirm:mark_invoice_paid:{invoice.pk}:no", "No")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.SENT
    assert graph.texts() == ["OK, I left it as it was."]


def test_a_yes_tap_on_mark_paid_says_what_was_done(fake_openai, staff, say, graph):
    invoice = factories.invoice(to=factories.customer(), by=staff)
    tap(say, f"confirm:mark_invoice_paid:{invoice.pk}:yes")
    assert graph.texts() == [f"Invoice {invoice.number} is marked paid (EUR 119.00)."]
    assert fake_openai.chat_requests == []


def test_a_button_that_is_not_a_confirmation_goes_to_the_model_as_its_title(fake_openai, staff, say):
    fake_openai.reply("OK.")
    tap(say, "cancel-button", "Cancel")
    assert fake_openai.chat_requests[0]["messages"][-1] == {"role": "user", "content": "Cancel"}
