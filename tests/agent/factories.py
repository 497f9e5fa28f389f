"""Plain functions that make records for the agent's tests (straight through the ORM, no services)."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from accounts.models import User
from agent.models import Customer, Expense, Invoice, Revenue
from whatsapp.models import Conversation, Message

_numbers = count(1)


def person(*, role: str = User.Role.STAFF, first_name: str = "Sam", last_name: str = "", phone: str | None = None,
           active: bool = True) -> User:
    n = next(_numbers)
    return User.objects.create_user(username=f"user{n}", first_name=first_name, last_name=last_name, role=role,
                                    phone_number=phone, is_active=active)


def expense(*, by: User, gross: str = "11.90", net: str = "10.00", tax_rate: str = "0.19", **fields) -> Expense:
    fields.setdefault("category", Expense.Category.OTHER)
    fields.setdefault("currency", "EUR")
    return Expense.objects.create(submitted_by=by, gross=Decimal(gross), net=Decimal(net), tax_rate=Decimal(tax_rate),
                                  **fields)


def revenue(*, by: User, gross: str = "119.00", net: str = "100.00", tax_rate: str = "0.19", **fields) -> Revenue:
    fields.setdefault("currency", "EUR")
    return Revenue.objects.create(recorded_by=by, gross=Decimal(gross), net=Decimal(net), tax_rate=Decimal(tax_rate),
                                  **fields)


def customer(*, company_name: str = "Acme GmbH", **fields) -> Customer:
    return Customer.objects.create(company_name=company_name, **fields)


def invoice(*, to: Customer, by: User, issued_on: date | None = None, due_on: date | None = None,
            gross: str = "119.00", net: str = "100.00", **fields) -> Invoice:
    issued = issued_on or timezone.localdate()
    fields.setdefault("currency", "EUR")
    fields.setdefault("status", Invoice.Status.SENT)
    if fields["status"] == Invoice.Status.PAID:
        fields.setdefault("paid_on", issued)
    return Invoice.objects.create(
        number=f"TEST-{next(_numbers)}", customer=to, created_by=by, description="Work", net=Decimal(net),
        tax_rate=Decimal("0.19"), gross=Decimal(gross), issued_on=issued,
        due_on=due_on or issued + timedelta(days=14), **fields,
    )


def inbound_message(*, text: str = "spent 42.50 on fuel") -> Message:
    n = next(_numbers)
    conversation = Conversation.objects.create(phone_number_id="123", contact_key=f"1555000{n:04d}",
                                               wa_id=f"1555000{n:04d}")
    return Message.objects.create(conversation=conversation, direction=Message.Direction.INBOUND, type="text",
                                  text=text, timestamp=timezone.now(), status=Message.Status.RECEIVED,
                                  wamid=f"wamid.agent{n}")
