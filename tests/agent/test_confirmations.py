"""Deleting and marking paid are asked with Yes/No reply buttons; the tap is carried out by code."""

from datetime import timedelta

from django.utils import timezone

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


def test_a_yes_tap_marks_the_invoice_paid_on_the_date_the_person_named(fake_openai, staff, say, graph):
    today = timezone.localdate()
    invoice = factories.invoice(to=factories.customer(), by=staff, issued_on=today - timedelta(days=20))
    paid_on = today - timedelta(days=3)
    fake_openai.call(("mark_invoice_paid", {"invoice_id": invoice.pk, "paid_on": str(paid_on)}))
    fake_openai.reply("Mark it paid?")
    say(f"{invoice.number} was paid three days ago")
    tap(say, f"confirm:mark_invoice_paid:{invoice.pk}:yes")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on) == (Invoice.Status.PAID, paid_on)


def test_a_manager_is_not_asked_to_confirm_deleting_someone_elses_expense(fake_openai, staff, manager, say, graph):
    expense = factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("I can't delete that one.")
    say(f"delete expense {expense.pk}", sender="972987654321")
    assert fake_openai.tool_results(1) == [{"ok": False, "error": "You can only delete your own expenses."}]
    assert graph.sent("interactive") == []
    assert Expense.objects.filter(pk=expense.pk).exists()


def test_no_confirmation_is_asked_to_delete_an_expense_that_is_no_longer_pending(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff, status=Expense.Status.APPROVED)
    ask_to_delete(fake_openai, say, expense)
    [result] = fake_openai.tool_results(1)
    assert result["ok"] is False and "already approved" in result["error"]
    assert graph.sent("interactive") == []


def test_no_confirmation_is_asked_to_mark_an_invoice_paid_twice(fake_openai, staff, say, graph):
    invoice = factories.invoice(to=factories.customer(), by=staff, status=Invoice.Status.PAID)
    fake_openai.call(("mark_invoice_paid", {"invoice_id": invoice.pk}))
    fake_openai.reply("It was already paid.")
    say(f"{invoice.number} is paid")
    [result] = fake_openai.tool_results(1)
    assert result["ok"] is False and "already paid" in result["error"]
    assert graph.texts() == ["It was already paid."] and graph.sent("interactive") == []


def test_one_question_per_message_so_a_yes_never_does_less_than_was_asked(fake_openai, staff, say, graph):
    first, second = factories.expense(by=staff), factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": first.pk}), ("delete_expense", {"expense_id": second.pk}))
    fake_openai.reply(f"Delete expense #{first.pk}? I'll ask about #{second.pk} next.")
    say("delete both")
    asked, refused = fake_openai.tool_results(1)
    assert asked["confirmation_required"] is True
    assert refused["ok"] is False and "Only one question at a time" in refused["error"]
    [message] = graph.sent("interactive")
    assert [b["reply"]["id"] for b in message["interactive"]["action"]["buttons"]] == [
        f"confirm:delete_expense:{first.pk}:yes", f"confirm:delete_expense:{first.pk}:no"]
    tap(say, f"confirm:delete_expense:{first.pk}:yes")
    assert list(Expense.objects.values_list("pk", flat=True)) == [second.pk]


def test_a_long_answer_is_shortened_so_the_question_stays_above_the_buttons(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff, gross="11.90", category="fuel")
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Here is everything I know. " * 60)
    say(f"delete expense {expense.pk}")
    body = graph.sent("interactive")[0]["interactive"]["body"]["text"]
    assert len(body) <= 1024
    assert body.endswith(f"Delete expense #{expense.pk} (EUR 11.90, fuel, {expense.spent_on:%Y-%m-%d})?")
