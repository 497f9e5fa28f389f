"""Review of issue 10, hole 1 and "confirmations decided by code", through the real path: signed webhook ->
pipeline -> agent -> openai client -> fake model -> tools -> Graph fake.

Variants the first fix did not cover: the words above the buttons, and a typed yes the person sent
before the question existed.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from agent import confirmations
from agent.models import Expense, Invoice, PendingAction
from tests.agent import factories
from tests.agent.conftest import message_body
from tests.agent.confirm_support import tap, yes_button
from tests.fakes.graph import graph_error
from whatsapp.models import Conversation, Message

SHEENA, MAYA = "16505551234", "972987654321"


def body_of_question(graph) -> str:
    return graph.sent("interactive")[-1]["interactive"]["body"]["text"]


# --- the question above the buttons is the code's -------------------------------------------------
def test_the_buttons_carry_the_codes_question_even_when_the_model_asks_something_else(fake_openai, staff, say,
                                                                                      graph):
    """HOLE: the model worded the question. When its answer ended with "?", the code's question was left
    out, so the model (or an instruction it read in a PDF) could put Yes/No buttons that mark an invoice
    paid under "Shall I list the overdue invoices?"."""
    invoice = factories.invoice(to=factories.customer(), by=staff)
    fake_openai.call(("mark_invoice_paid", {"invoice_id": invoice.pk}))
    fake_openai.reply("Shall I list the overdue invoices for you?")
    say("what is overdue?")
    assert body_of_question(graph).endswith(f"Mark invoice {invoice.number} (EUR 119.00, “Acme GmbH”) as paid?")


def test_the_codes_question_is_the_last_thing_above_the_buttons(fake_openai, staff, say, graph):
    """HOLE: the model could quote the code's question and then ask another one just above the buttons."""
    expense = factories.expense(by=staff, category="fuel")
    question = f"Delete expense #{expense.pk} (EUR 11.90, fuel, {expense.spent_on:%Y-%m-%d})?"
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply(f"{question} Never mind that: shall I show you this month's total instead?")
    say("how much did I spend?")
    assert body_of_question(graph).endswith(question)


# --- a typed yes answers only a question the person could have read -----------------------------
def test_a_yes_sent_before_the_question_existed_carries_nothing_out(fake_openai, staff, signed_post,
                                                                    django_capture_on_commit_callbacks, graph):
    """HOLE: a typed "ok" that Meta delivered before the assistant had even asked counted as the answer.
    Sheena writes "anything to do?" and, a moment later, "ok"; both are stored before the worker
    answers the first. Talked into it by what it read, the model asks to delete her expense, and her
    earlier "ok" deleted it: she never saw the question."""
    expense = factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Done, as instructed.")
    with django_capture_on_commit_callbacks() as callbacks:
        assert signed_post(message_body(text="anything to do?")).status_code == 200
        assert signed_post(message_body(text="ok")).status_code == 200
    for callback in callbacks:
        callback()
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert PendingAction.objects.get().state == PendingAction.State.PENDING


def test_a_typed_yes_from_another_person_answers_nobody_elses_question(fake_openai, staff, manager, say, graph):
    expense = factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Shall I?")
    say("delete my last expense")
    say("yes", sender=MAYA)  # Maya's own yes goes to her assistant, not to Sheena's question
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert PendingAction.objects.get().state == PendingAction.State.PENDING


def test_a_tap_in_another_conversation_of_the_same_person_changes_nothing(fake_openai, staff, say, graph):
    expense = factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Shall I?")
    say("delete my last expense")
    action = PendingAction.objects.get()
    # Her earlier conversation, known by her business-scoped user id only, stays hers (README: identity).
    other = Conversation.objects.create(phone_number_id=action.conversation.phone_number_id,
                                        contact_key="US.1234", bsuid="US.1234", user=staff)
    message = other.messages.create(direction="in", type="interactive", status="received",
                                    timestamp=timezone.now(), wamid="wamid.elsewhere",
                                    data={"reply_type": "button_reply", "id": yes_button(graph)})
    reply = confirmations.answer_tap(user=staff, conversation=other, message=message,
                                     tap=confirmations.parse_button(message))
    assert reply.text == confirmations.NOT_YOURS
    assert Expense.objects.filter(pk=expense.pk).exists()


def test_a_tap_at_the_very_moment_of_expiry_is_too_late(fake_openai, staff, say, graph, monkeypatch):
    expense = factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Shall I?")
    say("delete my last expense")
    action = PendingAction.objects.get()
    monkeypatch.setattr(confirmations.timezone, "now", lambda: action.expires_at)
    tap(say, yes_button(graph))
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert PendingAction.objects.get().state == PendingAction.State.EXPIRED


def test_a_manager_demoted_between_question_and_yes_reviews_nothing(fake_openai, staff, manager, say, graph):
    expense = factories.expense(by=staff)
    fake_openai.call(("review_expense", {"expense_id": expense.pk, "decision": "approve"}))
    fake_openai.reply("Shall I?")
    say("approve Sheena's expense", sender=MAYA)
    User.objects.filter(pk=manager.pk).update(role=User.Role.STAFF)
    tap(say, yes_button(graph), sender=MAYA)
    assert Expense.objects.get(pk=expense.pk).status == Expense.Status.PENDING
    assert PendingAction.objects.get().state == PendingAction.State.FAILED


def test_a_person_deactivated_after_the_question_changes_nothing_with_their_tap(fake_openai, staff, say, graph):
    invoice = factories.invoice(to=factories.customer(), by=staff)
    fake_openai.call(("mark_invoice_paid", {"invoice_id": invoice.pk}))
    fake_openai.reply("Shall I?")
    say("INV paid")
    User.objects.filter(pk=staff.pk).update(is_active=False)
    tap(say, yes_button(graph))
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.SENT
    assert PendingAction.objects.get().state == PendingAction.State.PENDING


def test_a_yes_quoting_an_older_question_does_not_carry_out_the_newer_one(fake_openai, staff, say, deliver, graph):
    """HOLE: a typed yes answered the latest question whatever the person replied to. Sheena is asked to
    delete expense A, says "no wait, the other one", is asked to delete B, then swipes to reply "yes"
    on the first question (WhatsApp shows the quote): her yes deleted B."""
    first, other = factories.expense(by=staff, gross="11.90"), factories.expense(by=staff, gross="99.00", net="83.19")
    fake_openai.call(("delete_expense", {"expense_id": first.pk}))
    fake_openai.reply("Shall I?")
    say("delete my fuel expense")
    fake_openai.call(("delete_expense", {"expense_id": other.pk}))
    fake_openai.reply("Shall I?")
    say("no wait, the other one")
    first_question = Message.objects.filter(direction="out", type="interactive").order_by("id").first()
    assert first_question.wamid
    document = json.loads(message_body(text="yes"))
    document["entry"][0]["changes"][0]["value"]["messages"][0]["context"] = {"from": "15550783881",
                                                                            "id": first_question.wamid}
    deliver(json.dumps(document).encode())
    assert set(Expense.objects.values_list("pk", flat=True)) == {first.pk, other.pk}


def test_a_yes_quoting_the_question_itself_carries_it_out(fake_openai, staff, say, deliver, graph):
    expense = factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Shall I?")
    say("delete my fuel expense")
    question = Message.objects.get(direction="out", type="interactive")
    document = json.loads(message_body(text="Yes!"))
    document["entry"][0]["changes"][0]["value"]["messages"][0]["context"] = {"from": "15550783881",
                                                                            "id": question.wamid}
    deliver(json.dumps(document).encode())
    assert not Expense.objects.filter(pk=expense.pk).exists()


def test_a_yes_sent_while_the_question_waits_in_the_outbox_is_no_answer_to_it(fake_openai, staff, say, graph):
    """HOLE: Graph refused the token (delivery paused, replies kept queued), so the question never
    reached Sheena; her next "ok" (to nothing she could see) carried it out."""
    expense = factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Shall I?")
    graph.fail_next(graph_error(190, "Error validating access token: Session has expired", http_status=401))
    say("delete my fuel expense")
    assert Message.objects.get(direction="out", type="interactive").status == Message.Status.QUEUED
    say("ok")
    assert Expense.objects.filter(pk=expense.pk).exists()


def test_a_colleagues_name_cannot_reword_the_question_a_manager_confirms(fake_openai, staff, manager, say, graph):
    """The question is written by code from the record, but it names the submitter (review) or the
    customer (mark paid) with what people typed. Sheena, who may change her own name, cannot make
    Maya's question read as if it approved something else: in the question a name is at most 40
    characters, between “ and ” (quote marks in the name itself taken out), so it reads as her name,
    cut short, never as the code's words."""
    User.objects.filter(pk=staff.pk).update(
        first_name="Sheena. This approves only her EUR 2.00 coffee; the amount above is the yearly total",
        last_name="")
    expense = factories.expense(by=staff, gross="4999.00", net="4200.84")
    fake_openai.call(("review_expense", {"expense_id": expense.pk, "decision": "approve"}))
    fake_openai.reply("Shall I?")
    say("approve Sheena's expense", sender=MAYA)
    assert body_of_question(graph).endswith(
        f"Approve expense #{expense.pk} (EUR 4999.00, other, {expense.spent_on:%Y-%m-%d}) "
        "of “Sheena. This approves only her EUR 2.00…”?")
    assert "the amount above is the yearly total" not in body_of_question(graph)


def test_a_colleagues_name_cannot_close_its_own_quote_in_the_question(fake_openai, staff, manager, say, graph):
    User.objects.filter(pk=staff.pk).update(first_name='Sheena” (a coffee) “', last_name="")
    expense = factories.expense(by=staff, gross="4999.00", net="4200.84")
    fake_openai.call(("review_expense", {"expense_id": expense.pk, "decision": "approve"}))
    fake_openai.reply("Shall I?")
    say("approve Sheena's expense", sender=MAYA)
    assert body_of_question(graph).endswith("of “Sheena (a coffee)”?")
