from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from agent.models import AgentTurn, Expense, Invoice, ToolCall, overdue_invoice_q
from agent.selectors import conversation_usage
from tests.agent.factories import customer, expense, inbound_message, invoice, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam():
    return person()


def test_an_expense_defaults_to_the_default_currency(settings, sam):
    settings.DEFAULT_CURRENCY = "CHF"
    created = Expense.objects.create(submitted_by=sam, category="fuel", net=Decimal("10"), tax_rate=Decimal("0.19"),
                                     gross=Decimal("11.90"))
    assert created.currency == "CHF"


def test_an_expense_is_spent_today_in_the_business_time_zone(settings, sam):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: usually a different date than UTC
    created = Expense.objects.create(submitted_by=sam, category="fuel", net=Decimal("10"), tax_rate=Decimal("0.19"),
                                     gross=Decimal("11.90"))
    assert created.spent_on == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()


def test_a_new_expense_is_pending(sam):
    assert expense(by=sam).status == Expense.Status.PENDING


def test_the_database_refuses_an_expense_of_zero(sam):
    with pytest.raises(IntegrityError), transaction.atomic():
        expense(by=sam, net="0", gross="0")


def test_the_database_refuses_a_gross_below_the_net(sam):
    with pytest.raises(IntegrityError), transaction.atomic():
        expense(by=sam, net="10", gross="9")


def test_tax_is_derived_from_gross_and_net(sam):
    assert expense(by=sam, net="10.00", gross="11.90").tax == Decimal("1.90")


def test_the_database_refuses_a_paid_invoice_without_a_payment_date(sam):
    with pytest.raises(IntegrityError), transaction.atomic():
        invoice(to=customer(), by=sam, status=Invoice.Status.PAID, paid_on=None)


def test_the_database_refuses_a_due_date_before_the_issue_date(sam):
    today = timezone.localdate()
    with pytest.raises(IntegrityError), transaction.atomic():
        invoice(to=customer(), by=sam, issued_on=today, due_on=today - timedelta(days=1))


def test_invoice_numbers_are_unique(sam):
    first = invoice(to=customer(), by=sam)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice(to=first.customer, by=sam).pk).update(number=first.number)


def test_a_sent_invoice_past_its_due_date_is_overdue(sam):
    today = timezone.localdate()
    late = invoice(to=customer(), by=sam, issued_on=today - timedelta(days=30), due_on=today - timedelta(days=1))
    assert late.is_overdue


def test_an_invoice_due_today_is_not_overdue_yet(sam):
    today = timezone.localdate()
    assert not invoice(to=customer(), by=sam, issued_on=today - timedelta(days=14), due_on=today).is_overdue


def test_a_paid_invoice_is_never_overdue(sam):
    today = timezone.localdate()
    paid = invoice(to=customer(), by=sam, issued_on=today - timedelta(days=60), due_on=today - timedelta(days=30),
                   status=Invoice.Status.PAID)
    assert not paid.is_overdue


def test_overdue_is_derived_from_the_date_it_is_asked_on(sam):
    today = timezone.localdate()
    due_tomorrow = invoice(to=customer(), by=sam, issued_on=today, due_on=today + timedelta(days=1))
    assert not Invoice.objects.overdue(today).exists()
    assert list(Invoice.objects.overdue(today + timedelta(days=2))) == [due_tomorrow]
    assert due_tomorrow.is_overdue_on(today + timedelta(days=2))


def test_the_overdue_condition_leaves_out_drafts_that_are_not_late_and_void_invoices(sam):
    today = timezone.localdate()
    acme, old = customer(), today - timedelta(days=40)
    late_draft = invoice(to=acme, by=sam, issued_on=old, due_on=old, status=Invoice.Status.DRAFT)
    invoice(to=acme, by=sam, issued_on=old, due_on=old, status=Invoice.Status.VOID)
    invoice(to=acme, by=sam, issued_on=today)
    assert list(Invoice.objects.filter(overdue_invoice_q(today))) == [late_draft]


def test_tool_calls_and_turns_belong_to_the_conversation_and_its_inbound_message():
    message = inbound_message()
    turn = AgentTurn.objects.create(conversation=message.conversation, message=message, model="m",
                                    prompt_tokens=100, completion_tokens=20, total_tokens=120, rounds=2)
    call = ToolCall.objects.create(conversation=message.conversation, message=message, turn=turn, name="list_expenses",
                                   arguments={"period": "this month"}, result={"count": 0}, call_id="call_1")
    assert list(message.tool_calls.all()) == [call]
    assert list(turn.tool_calls.all()) == [call]


def test_token_usage_adds_up_per_conversation():
    message = inbound_message()
    for prompt, completion in ((100, 20), (300, 50)):
        AgentTurn.objects.create(conversation=message.conversation, message=message, prompt_tokens=prompt,
                                 completion_tokens=completion, total_tokens=prompt + completion)
    AgentTurn.objects.create(conversation=inbound_message().conversation, total_tokens=999)
    assert conversation_usage(conversation_id=message.conversation_id) == {
        "turns": 2, "prompt_tokens": 400, "completion_tokens": 70, "total_tokens": 470,
    }


def test_a_deleted_source_message_leaves_the_expense_in_place(sam):
    message = inbound_message()
    created = expense(by=sam, source_message=message)
    message.delete()
    created.refresh_from_db()
    assert created.source_message is None


def test_a_customer_phone_must_be_e164_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        customer(phone="030 1234567")

