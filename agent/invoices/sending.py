"""Sending an invoice's PDF on WhatsApp.

- `invoice_send`: a team member sends an invoice to its customer (the `send_invoice` tool after the
  person's own Yes, the admin's "Send on WhatsApp", `POST /api/invoices/{id}/send/`). The invoice
  records the message, so its ticks show; a draft becomes sent.
- `my_invoice_send`: a customer gets their own invoice, found among their own records only.
- `invoice_document_queue`: the one path all of them (and the overdue reminders) take: the PDF is
  issued (agent.invoices.document) and queued as a WhatsApp document with a caption; when the
  person's 24-hour window is closed at sending time, the approved invoice template
  (WHATSAPP_INVOICE_TEMPLATE, a DOCUMENT header) carries it instead (whatsapp.outbound.queue).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from agent.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from agent.invoices.document import invoice_document
from agent.invoices.profile import InvoiceNotIssuable, invoice_check_issuable
from agent.models import Customer, Invoice
from agent.roles import is_customer, is_team_member
from agent.selectors import invoices_visible_to, parse_id
from config.display import local_date, money
from whatsapp.models import Message
from whatsapp.outbound.notify import conversation_for_phone, conversation_for_user
from whatsapp.outbound.queue import TemplateInstead, document_queue

MAX_REQUESTED = 10  # invoices a customer gets in one request


class InvoiceNotSendable(Conflict):
    """The invoice cannot go to its customer now (void, not issuable, no WhatsApp number); `missing`
    names what an unissuable one lacks."""

    def __init__(self, message: str, *, missing: dict | None = None):
        super().__init__(message, extra={"missing": missing} if missing else None)


@dataclass(frozen=True)
class Sendable:
    invoice: Invoice
    to: str  # the number (or business-scoped user id) it goes to


# --- the customer on WhatsApp ---------------------------------------------------------------------
def customer_whatsapp(customer: Customer) -> str:
    """Where a customer is reached: the number (or business-scoped user id) of the person linked to
    the record, else the record's phone; "" when there is neither."""
    user = customer.user
    if user is not None and (user.phone_number or user.bsuid):
        return user.phone_number or user.bsuid
    return customer.phone or ""


def customer_conversation(customer: Customer):
    """The conversation with a customer on our number (as customer_whatsapp says), created if they
    never wrote; None when they have no WhatsApp identity."""
    user = customer.user
    if user is not None and (user.phone_number or user.bsuid):
        return conversation_for_user(user=user)
    return conversation_for_phone(phone=customer.phone, name=customer.contact_name)


# --- the one path ---------------------------------------------------------------------------------
def invoice_caption(invoice: Invoice) -> str:
    return f"Invoice {invoice.number}: {money(invoice.gross, invoice.currency)}, due on {local_date(invoice.due_on)}."


def invoice_document_queue(*, invoice: Invoice, conversation, sent_by=None, caption: str = "",
                           data: dict | None = None) -> Message:
    """Issue the invoice's PDF and queue it to `conversation` as a document (the invoice template
    when the window is closed). Raises InvoiceNotIssuable when it cannot be issued."""
    document = invoice_document(invoice=invoice)
    customer = invoice.customer
    amount = money(invoice.gross, invoice.currency)
    template = TemplateInstead(
        name=settings.WHATSAPP_INVOICE_TEMPLATE, language=settings.WHATSAPP_INVOICE_TEMPLATE_LANGUAGE,
        body=(customer.contact_name or customer.company_name, invoice.number, amount, local_date(invoice.due_on)),
        text=f"Invoice {invoice.number} ({amount}, due on {local_date(invoice.due_on)}), with its PDF "
             f"(template {settings.WHATSAPP_INVOICE_TEMPLATE})",
    )
    return document_queue(conversation=conversation, content=document.pdf, filename=document.filename,
                          caption=caption or invoice_caption(invoice), template=template, sent_by=sent_by,
                          data={"invoice": invoice.number, **(data or {})})


# --- staff and managers: to the customer ---------------------------------------------------------
def invoice_check_sendable(*, user, invoice_id, lock: bool = False) -> Sendable:
    """Whether `user` may send this invoice to its customer now (asked again when it is sent; with
    `lock`, the invoice's row stays locked until the transaction ends).

    PermissionDenied for anyone but staff and managers, NotFound for an invoice they cannot see,
    InvoiceNotSendable when it is void, cannot be issued (what is missing is named) or its customer
    has no WhatsApp number.
    """
    if not is_team_member(user):
        raise PermissionDenied("Only staff and managers can send invoices.")
    invoices = invoices_visible_to(user)
    if lock:
        invoices = invoices.select_for_update(of=("self",))
    invoice = invoices.filter(pk=parse_id(invoice_id, "invoice")).first()
    if invoice is None:
        raise NotFound(f"Invoice #{invoice_id} not found.")
    try:
        invoice_check_issuable(invoice=invoice)
    except InvoiceNotIssuable as error:
        raise InvoiceNotSendable(error.message, missing=error.missing) from None
    except ApplicationError as error:
        raise InvoiceNotSendable(error.message) from None
    to = customer_whatsapp(invoice.customer)
    if not to:
        raise InvoiceNotSendable(f"{invoice.customer.company_name} has no WhatsApp number: add the customer's "
                                 f"phone, or link the person who writes for them, first.")
    return Sendable(invoice=invoice, to=to)


@transaction.atomic
def invoice_send(*, user, invoice_id) -> Invoice:
    """Send an invoice's PDF to its customer on WhatsApp (staff and managers), after the checks of
    invoice_check_sendable. The invoice records the message (`sent_message`: its ticks); a draft
    becomes sent."""
    invoice = invoice_check_sendable(user=user, invoice_id=invoice_id, lock=True).invoice
    message = invoice_document_queue(invoice=invoice, conversation=customer_conversation(invoice.customer),
                                     sent_by=user)
    invoice.sent_message = message
    if invoice.status == Invoice.Status.DRAFT:
        invoice.status = Invoice.Status.SENT
    invoice.save(update_fields=["sent_message", "status", "updated_at"])
    return invoice


# --- customers: their own ------------------------------------------------------------------------
def _number(text) -> str:
    return "".join(str(text or "").split()).upper()


@transaction.atomic
def my_invoices_send(*, user, numbers: list[str] | None = None) -> tuple[list[Invoice], list[str]]:
    """Send a customer their own invoices' PDFs, to themselves: those `numbers`, or, without any,
    their open ones (at most MAX_REQUESTED). Looked up only among the invoices of the customer
    records linked to them (never drafts), so another customer's number is simply not found.

    Returns (the invoices sent, what could not be: a polite sentence each).
    """
    if not is_customer(user):
        raise PermissionDenied("This is for customers: staff send invoices with send_invoice.")
    own = invoices_visible_to(user)
    if numbers:
        wanted = list(dict.fromkeys(_number(n) for n in numbers if _number(n)))[:MAX_REQUESTED]
        found = {invoice.number.upper(): invoice for invoice in own.filter(number__in=wanted)}
        invoices = [found[n] for n in wanted if n in found]
        problems = [f"I couldn't find invoice {n} among your invoices; please check the number." for n in wanted
                    if n not in found]
    else:
        invoices = list(own.open().order_by("due_on", "id")[:MAX_REQUESTED])
        problems = [] if invoices else ["You have no open invoices."]
    if not invoices:
        if not problems:
            raise NotFound("Which invoice? Give its number, e.g. INV-2026-0012.")
        return [], problems
    conversation = conversation_for_user(user=user)
    if conversation is None:
        raise ApplicationError("I can't reach you on WhatsApp to send it.")
    sent = []
    for invoice in invoices:
        if invoice.status == Invoice.Status.VOID:
            problems.append(f"Invoice {invoice.number} was cancelled, so there is nothing to send.")
            continue
        try:
            invoice_document_queue(invoice=invoice, conversation=conversation)
        except ApplicationError:
            # Why (the business's own details) is the team's business: the customer gets no jargon.
            problems.append(f"I can't send invoice {invoice.number} as a document just now; the team can send it "
                            f"to you.")
            continue
        sent.append(invoice)
    return sent, problems
