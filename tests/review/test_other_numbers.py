"""Review of issue 10, hole 7: nothing that reaches another business number acts on ours."""

from agent.models import Expense, PendingAction
from tests.agent import factories
from tests.agent.conftest import message_body
from tests.agent.confirm_support import yes_button
from tests.whatsapp.test_other_numbers import OTHER_NUMBER, to_number
from whatsapp.models import Message


def test_a_yes_tap_reported_for_another_business_number_carries_nothing_out(fake_openai, staff, say, deliver,
                                                                            graph):
    expense = factories.expense(by=staff)
    fake_openai.call(("delete_expense", {"expense_id": expense.pk}))
    fake_openai.reply("Shall I?")
    say("delete my last expense")
    tap = message_body("interactive_button_reply", button_reply={"id": yes_button(graph), "title": "Yes"})
    response, _ = deliver(to_number(tap, OTHER_NUMBER))
    assert response.status_code == 200
    assert Expense.objects.filter(pk=expense.pk).exists()
    assert PendingAction.objects.get().state == PendingAction.State.PENDING
    assert Message.objects.get(type="interactive", direction="in").status == Message.Status.OTHER_NUMBER
