"""Deleting, changing, reviewing and marking paid are asked with Yes/No reply buttons; the person's own
answer (a tap, or a typed yes/no to the question just asked) is carried out by code, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agent.models import Expense, Invoice, PendingAction, ToolCall
from config.display import local_date
from tests.agent import factories
from tests.agent.confirm_support import button_ids, no_button, tap, yes_button


def ask_to_delete(fake_openai, say, expense):
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Do you want me to delete it?")
    say(f"delete expense {expense.pk}")


def ask_to_mark_paid(fake_openai, say, invoice, **arguments):
    fake_openai.call(("mark_invoice_paid", {"invoice_id": invoice.pk, **arguments}))
    fake_openai.reply("Mark it paid?")
    say(f"{invoice.number} is paid")


def test_the_question_goes_out_as_an_interactive_button_message_under_the_models_text(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    [message] = graph.sent("interactive")
    # The model's words first, then the code's question: the buttons answer that one (tests/review).
    assert message["interactive"]["body"]["text"] == (
        f"Do you want me to delete it?\n\nDelete expense #{expense.pk} (EUR 11.90, {expense.category}, "
        f"{local_date(expense.spent_on)})?")
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


def test_the_question_is_recorded_as_a_pending_action_of_the_person(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    action = PendingAction.objects.get()
    assert (action.user, action.tool, action.arguments, action.state) == (
        staff, "delete_expense", {"expense_id": expense.pk}, PendingAction.State.PENDING)
    assert action.question == (f"Delete expense #{expense.pk} (EUR 11.90, {expense.category}, "
                               f"{local_date(expense.spent_on)})?")
    assert action.expires_at - action.created_at == timedelta(minutes=30)
    assert button_ids(graph) == [f"confirm:{action.pk}:{action.token}:yes", f"confirm:{action.pk}:{action.token}:no"]


def test_a_yes_tap_is_recorded_as_a_tool_call(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    tap(say, yes_button(graph))
    action = PendingAction.objects.get()
    call = ToolCall.objects.get(name="delete_expense", call_id=f"confirmed-{action.pk}")
    assert call.result["deleted"] == expense.pk and call.model == ""
    assert action.state == PendingAction.State.DONE and action.outcome == f"Deleted expense #{expense.pk} (EUR 11.90)."


def test_a_second_tap_on_the_same_question_changes_nothing_and_says_so(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    tap(say, yes_button(graph))
    tap(say, yes_button(graph))
    assert graph.texts()[-1] == "You already answered that question and it was done. Nothing more was changed."
    assert ToolCall.objects.filter(name="delete_expense", model="").count() == 1


def test_a_no_tap_on_mark_paid_leaves_the_invoice_open(fake_openai, staff, say, graph):
    invoice = factories.invoice(to=factories.customer(), by=staff)
    ask_to_mark_paid(fake_openai, say, invoice)
    tap(say, no_button(graph), "No")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.SENT
    assert graph.texts() == ["OK, I left it as it was."]
    assert PendingAction.objects.get().state == PendingAction.State.DECLINED


def test_a_yes_tap_on_mark_paid_says_what_was_done_without_asking_the_model(fake_openai, staff, say, graph):
    invoice = factories.invoice(to=factories.customer(), by=staff)
    ask_to_mark_paid(fake_openai, say, invoice)
    requests = len(fake_openai.chat_requests)
    tap(say, yes_button(graph))
    assert graph.texts() == [f"Invoice {invoice.number} is marked paid (EUR 119.00)."]
    assert len(fake_openai.chat_requests) == requests


def test_a_button_that_is_not_a_confirmation_goes_to_the_model_as_its_title(fake_openai, staff, say):
    fake_openai.reply("OK.")
    tap(say, "cancel-button", "Cancel")
    assert fake_openai.chat_requests[0]["messages"][-1] == {"role": "user", "content": "Cancel"}


def test_a_yes_tap_marks_the_invoice_paid_on_the_date_the_person_named(fake_openai, staff, say, graph):
    today = timezone.localdate()
    invoice = factories.invoice(to=factories.customer(), by=staff, issued_on=today - timedelta(days=20))
    paid_on = today - timedelta(days=3)
    ask_to_mark_paid(fake_openai, say, invoice, paid_on=str(paid_on))
    assert PendingAction.objects.get().question.endswith(f"as paid on {local_date(paid_on)}?")
    tap(say, yes_button(graph))
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
    assert len(graph.sent("interactive")) == 1
    assert PendingAction.objects.get().arguments == {"expense_id": first.pk}
    tap(say, yes_button(graph))
    assert list(Expense.objects.values_list("pk", flat=True)) == [second.pk]


def test_a_long_answer_is_shortened_so_the_question_stays_above_the_buttons(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff, gross="11.90", category="fuel")
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Here is everything I know. " * 60)
    say(f"delete expense {expense.pk}")
    body = graph.sent("interactive")[0]["interactive"]["body"]["text"]
    assert len(body) <= 1024
    assert body.endswith(f"Delete expense #{expense.pk} (EUR 11.90, fuel, {local_date(expense.spent_on)})?")


@pytest.mark.parametrize("word", ["yes", "Yes!", "ok", "OK.", "sí", "Ja", "y", "👍"])
def test_a_typed_yes_to_the_question_just_asked_carries_it_out(fake_openai, staff, say, graph, word):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    requests = len(fake_openai.chat_requests)
    say(word)
    assert not Expense.objects.filter(pk=expense.pk).exists()
    assert graph.texts()[-1] == f"Deleted expense #{expense.pk} (EUR 11.90)."
    assert len(fake_openai.chat_requests) == requests


@pytest.mark.parametrize("word", ["no", "No.", "nein", "não", "nope"])
def test_a_typed_no_leaves_it_as_it_was(fake_openai, staff, say, graph, word):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    say(word)
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert graph.texts()[-1] == "OK, I left it as it was."
    assert PendingAction.objects.get().state == PendingAction.State.DECLINED


def test_a_yes_after_talking_about_something_else_goes_to_the_model_and_changes_nothing(
        fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    fake_openai.reply("You spent EUR 11.90 this month. Anything else?")
    say("what did I spend this month?")
    fake_openai.reply("Happy to help.")
    say("yes")
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert fake_openai.chat_requests[-1]["messages"][-1] == {"role": "user", "content": "yes"}
    tap(say, yes_button(graph))  # the buttons still answer their own question
    assert not Expense.objects.filter(pk=expense.pk).exists()


def test_a_yes_with_no_open_question_goes_to_the_model(fake_openai, staff, say):
    fake_openai.reply("Yes to what?")
    say("yes")
    assert fake_openai.chat_requests[0]["messages"][-1] == {"role": "user", "content": "yes"}


def test_a_newer_question_supersedes_the_older_one(fake_openai, staff, say, graph):
    first, second = factories.expense(by=staff), factories.expense(by=staff)
    ask_to_delete(fake_openai, say, first)
    old_yes = yes_button(graph)
    ask_to_delete(fake_openai, say, second)
    say("yes")
    tap(say, old_yes)
    assert list(Expense.objects.values_list("pk", flat=True)) == [first.pk]
    assert graph.texts()[-1].startswith("I asked you something newer since, so that button no longer works")
    assert list(PendingAction.objects.order_by("id").values_list("state", flat=True)) == [
        PendingAction.State.SUPERSEDED, PendingAction.State.DONE]


def test_an_expired_question_changes_nothing_and_says_so(fake_openai, staff, say, graph, settings):
    settings.AGENT_CONFIRMATION_MINUTES = 5
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    PendingAction.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    tap(say, yes_button(graph))
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert graph.texts()[-1].startswith("That question has expired, so nothing was changed.")
    assert PendingAction.objects.get().state == PendingAction.State.EXPIRED


def test_a_yes_to_a_record_that_changed_meanwhile_says_why_it_failed(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    ask_to_delete(fake_openai, say, expense)
    Expense.objects.filter(pk=expense.pk).update(status=Expense.Status.APPROVED)
    tap(say, yes_button(graph))
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert graph.texts()[-1] == (f"Sorry, that didn't work: Expense #{expense.pk} is already approved; only pending "
                                 "expenses can be deleted.")
    assert PendingAction.objects.get().state == PendingAction.State.FAILED
