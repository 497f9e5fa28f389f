"""Scheduled messages: a daily reminder to customers with overdue invoices and a weekly spend
summary to managers, each as an approved template (they usually go outside the 24-hour window).
The reminder names the overdue invoices; an invoice's first reminder carries its PDF
(agent.invoices.sending: a document inside the window, the invoice template outside it).

Each is idempotent for its day or week: a JobRun row per (job, period, recipient), inserted in the
same transaction as the queued message, so a second run (or a retried task) sends nothing twice.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from agent import selectors
from agent.errors import ApplicationError
from agent.invoices.sending import customer_conversation, invoice_document_queue
from agent.models import Customer, Expense, Invoice, JobRun
from config.display import local_date, money
from whatsapp.catalogue.components import template_components
from whatsapp.models import Message
from whatsapp.outbound.notify import conversation_for_user
from whatsapp.outbound.queue import template_queue

logger = logging.getLogger(__name__)

OVERDUE_REMINDER = "overdue_reminder"
WEEKLY_SUMMARY = "weekly_spend_summary"


@dataclass
class JobResult:
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _send_once(*, job: str, period_key: str, recipient_key: str, conversation, name: str, language: str,
               parameters: list[str], text: str, valid_for: timedelta, then=None) -> bool:
    """Queue the template once for this period and recipient; `then(data)` queues what follows it
    (in the same transaction, with the same `data`)."""
    # Stale after `valid_for`: if delivery is paused (an expired token) past the next run, that run's
    # message replaces this one instead of both going out late, with out-of-date figures.
    data = {"job": job, "period": period_key, "expires_at": (timezone.now() + valid_for).isoformat()}
    try:
        with transaction.atomic():
            JobRun.objects.create(job=job, period_key=period_key, recipient_key=recipient_key)
            template_queue(conversation=conversation, name=name, language=language,
                           components=template_components(body=parameters), text=text, data=data)
            if then is not None:
                then(data)
    except IntegrityError:
        return False  # already sent for this period
    return True


def _totals_text(totals: list[dict]) -> str:
    return ", ".join(money(t["gross"], t["currency"]) for t in totals) or "0"


# Invoices a reminder names; more are counted ("and 3 more"), so the value stays short.
NAMED_IN_REMINDER = 10


def _numbers_text(invoices: list[Invoice]) -> str:
    numbers = [invoice.number for invoice in invoices]
    named = ", ".join(numbers[:NAMED_IN_REMINDER])
    return f"{named} and {len(numbers) - NAMED_IN_REMINDER} more" if len(numbers) > NAMED_IN_REMINDER else named


def _pdf_not_yet_reminded(invoices):
    """The invoices whose PDF no reminder carried yet (or the one that did failed)."""
    return invoices.filter(Q(reminder_message__isnull=True) | Q(reminder_message__status=Message.Status.FAILED))


def overdue_reminders_send(*, today: date | None = None) -> JobResult:
    """Remind every customer with overdue invoices, once a day: one template naming the invoices, and
    each invoice's PDF with its first reminder only (the invoice records that message), so a
    customer with several overdue invoices is not sent a paid template per invoice every day; they
    ask for a PDF again by its number (agent.invoices.sending.my_invoices_send)."""
    today = today or timezone.localdate()
    result = JobResult()
    customers = Customer.objects.filter(invoices__in=Invoice.objects.overdue(today)).distinct().select_related("user")
    for customer in customers:
        overdue = Invoice.objects.overdue(today).filter(customer=customer).select_related("customer")
        conversation = customer_conversation(customer)
        if conversation is None:
            result.skipped.append(f"{customer} (no WhatsApp number)")
            continue
        invoices = list(overdue.order_by("due_on", "id"))
        owed = _totals_text(selectors.invoice_totals(overdue))

        def pdfs(data, conversation=conversation, overdue=overdue):
            for invoice in _pdf_not_yet_reminded(overdue).order_by("due_on", "id"):
                caption = (f"Invoice {invoice.number}: {money(invoice.gross, invoice.currency)}, was due on "
                           f"{local_date(invoice.due_on)}.")
                try:
                    message = invoice_document_queue(invoice=invoice, conversation=conversation, caption=caption,
                                                     data=data)
                except ApplicationError as error:
                    result.skipped.append(f"the PDF of {invoice.number} ({error})")
                    continue
                Invoice.objects.filter(pk=invoice.pk).update(reminder_message=message)

        sent = _send_once(
            job=OVERDUE_REMINDER, period_key=today.isoformat(), recipient_key=f"customer:{customer.pk}",
            conversation=conversation, name=settings.WHATSAPP_REMINDER_TEMPLATE,
            language=settings.WHATSAPP_REMINDER_TEMPLATE_LANGUAGE,
            parameters=[customer.contact_name or customer.company_name, str(len(invoices)), owed,
                        _numbers_text(invoices)],
            text=f"Reminder: {len(invoices)} overdue invoice(s), {owed} outstanding: {_numbers_text(invoices)}.",
            valid_for=timedelta(days=1), then=pdfs,
        )
        (result.sent if sent else result.skipped).append(str(customer))
    return result


def weekly_summary_send(*, today: date | None = None) -> JobResult:
    """Send each manager last week's spend and the number of expenses waiting for review, once a week."""
    today = today or timezone.localdate()
    week_start = today - timedelta(days=today.weekday() + 7)  # Monday of last week
    week_end = week_start + timedelta(days=6)
    iso = week_start.isocalendar()
    period_key = f"{iso.year}-W{iso.week:02d}"
    spent = Expense.objects.filter(spent_on__range=(week_start, week_end)).exclude(status=Expense.Status.REJECTED)
    total = _totals_text(selectors.expense_totals(spent))
    pending = Expense.objects.filter(status=Expense.Status.PENDING).count()
    result = JobResult()
    for manager in User.objects.filter(role=User.Role.MANAGER, is_active=True, phone_number__isnull=False):
        conversation = conversation_for_user(user=manager)
        sent = _send_once(
            job=WEEKLY_SUMMARY, period_key=period_key, recipient_key=f"user:{manager.pk}",
            conversation=conversation, name=settings.WHATSAPP_WEEKLY_SUMMARY_TEMPLATE,
            language=settings.WHATSAPP_WEEKLY_SUMMARY_TEMPLATE_LANGUAGE,
            parameters=[f"{local_date(week_start)} - {local_date(week_end)}", total, str(pending)],
            text=f"Week {period_key}: spent {total}; {pending} expense(s) waiting for review.",
            valid_for=timedelta(days=7),
        )
        (result.sent if sent else result.skipped).append(manager.get_full_name() or manager.username)
    return result
