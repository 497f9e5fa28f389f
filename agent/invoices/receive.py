"""An e-invoice sent on WhatsApp becomes an expense, with what its XML says, exactly.

Before a document goes the ordinary way (a PDF's text to the model), the runner asks here. A PDF
with Factur-X / ZUGFeRD XML inside, or an XRechnung (or other EN 16931) XML file, sent by staff or
a manager, is read by agent.invoices.incoming and recorded at once as a new expense (seller,
invoice number, date, net, tax, gross and currency from the XML; category "other" until the person
picks one): recording a new entry needs no Yes. The model then gets a short summary to tell the
person what was read and to suggest a category, which it can only change through update_expense,
which asks the person first. The model never supplies an amount.

A file that is, or claims to be, an e-invoice but cannot be read is kept for review: the message
keeps its media, and an IncomingEInvoice row marked unreadable (with a copy of the file and the
reason) is what staff find in the admin. The person is told, plainly, that nothing was recorded.
"""

import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from agent import services
from config.display import money
from agent.errors import ApplicationError
from agent.inputs import UserContent
from agent.invoices.incoming import EInvoice, Unreadable, einvoice_read, looks_like_pdf, looks_like_xml
from agent.invoices.models import IncomingEInvoice
from agent.llm import llm_configured
from agent.media import media_bytes
from agent.models import Expense
from agent.roles import is_team_member
from agent.tools.serialize import typed
from whatsapp.replies import Reply

logger = logging.getLogger(__name__)

UNREADABLE = ("I couldn't read this e-invoice: {reason}. Nothing was recorded; the file is kept for the team "
              "to look at. You can also send the amounts as text.")
DUPLICATE = "This e-invoice ({what}) is already recorded as expense #{expense}. Nothing new was recorded."


@dataclass
class Received:
    """What became of a document: an answer by code (`reply`), or what the model reads next."""

    reply: Reply | None = None
    content: UserContent | None = None


def einvoice_receive(*, user, message) -> Received | None:
    """Handle `message` if it is an e-invoice from a team member; None lets the ordinary path read it.

    Raises agent.media.MediaUnavailable when the file cannot be downloaded (the runner answers).
    Idempotent: a message handled before is answered from what was recorded then.
    """
    if message.type != "document" or not is_team_member(user):
        return None
    name, mime = message.media_filename or "", message.media_mime_type or ""
    if not (looks_like_pdf(mime_type=mime, filename=name) or looks_like_xml(mime_type=mime, filename=name)):
        return None
    earlier = IncomingEInvoice.objects.filter(message=message).select_related("expense").first()
    if earlier is not None:
        return _again(earlier, message=message)
    data = media_bytes(message)
    try:
        einvoice = einvoice_read(data, mime_type=mime, filename=name)
    except Unreadable as problem:
        _keep_for_review(message=message, user=user, data=data, problem=problem.detail)
        return Received(reply=Reply(text=UNREADABLE.format(reason=problem.reason)))
    if einvoice is None:
        return None
    duplicate = _recorded_before(einvoice)
    if duplicate is not None:
        _store(message=message, user=user, einvoice=einvoice, status=IncomingEInvoice.Status.DUPLICATE,
               expense=duplicate)
        return Received(reply=Reply(text=DUPLICATE.format(what=_what(einvoice), expense=duplicate.pk)))
    try:
        with transaction.atomic():
            expense = services.expense_record(
                user=user, category=Expense.Category.OTHER, net=einvoice.net, gross=einvoice.gross,
                tax_rate=einvoice.tax_rate, currency=einvoice.currency, merchant=einvoice.seller,
                description=_description(einvoice), spent_on=einvoice.issued_on,
                receipt=(name or _default_name(message), data), source_message=message)
            record = _store(message=message, user=user, einvoice=einvoice, status=IncomingEInvoice.Status.RECORDED,
                            expense=expense)
    except ApplicationError as error:
        _keep_for_review(message=message, user=user, data=data, problem=str(error), einvoice=einvoice)
        return Received(reply=Reply(text=UNREADABLE.format(reason=str(error).rstrip("."))))
    return _recorded(record, message=message)


def _again(record: IncomingEInvoice, *, message) -> Received:
    if record.status == IncomingEInvoice.Status.RECORDED and record.expense_id:
        return _recorded(record, message=message)
    if record.status == IncomingEInvoice.Status.DUPLICATE and record.expense_id:
        return Received(reply=Reply(text=DUPLICATE.format(what=_what(record), expense=record.expense_id)))
    return Received(reply=Reply(text=UNREADABLE.format(reason="it could not be read when it came in")))


def _recorded(record: IncomingEInvoice, *, message) -> Received:
    """Tell the person what was read: by code when the model is off, else through the model."""
    expense = record.expense
    amounts = (f"net {money(record.net, record.currency)}, tax {money(record.tax, record.currency)}, "
               f"gross {money(record.gross, record.currency)}")
    if not llm_configured():
        return Received(reply=Reply(text=(
            f"Recorded expense #{expense.pk} from this e-invoice: {record.seller}, invoice {record.number} of "
            f"{record.issued_on:%Y-%m-%d}, {amounts}. Category: other (a manager can change it in the back office).")))
    items = typed(expense.description, limit=300)
    caption = f"They wrote with it: {message.text}\n" if message.text else ""
    text = (f"[E-invoice {message.media_filename or 'file'}: read exactly from its XML ({record.syntax}) and "
            f"already recorded by the system as expense #{expense.pk}, category \"other\" for now.]\n"
            f"Seller: {typed(record.seller)}{' (VAT id ' + typed(record.seller_vat_id) + ')' if record.seller_vat_id else ''}\n"
            f"Invoice number: {typed(record.number)}, dated {record.issued_on:%Y-%m-%d}\n"
            f"Amounts: {amounts}\n"
            f"Description (invoice number and items): {items}\n{caption}"
            "Tell the person exactly what was recorded (these figures only). Suggest the expense category that fits "
            "and offer to set it with update_expense (they confirm with Yes), or ask them which category it is.")
    return Received(content=UserContent(text=text, kind="einvoice"))


def _recorded_before(einvoice: EInvoice) -> Expense | None:
    """The expense this seller's invoice number already became (matched by VAT id, else by name)."""
    records = IncomingEInvoice.objects.filter(status=IncomingEInvoice.Status.RECORDED, number=einvoice.number,
                                              expense__isnull=False)
    if einvoice.seller_vat_id:
        records = records.filter(seller_vat_id__iexact=einvoice.seller_vat_id)
    else:
        records = records.filter(seller__iexact=einvoice.seller)
    found = records.select_related("expense").first()
    return found.expense if found else None


def _store(*, message, user, einvoice: EInvoice, status: str, expense=None) -> IncomingEInvoice:
    return IncomingEInvoice.objects.create(
        message=message, sent_by=user, status=status, syntax=einvoice.syntax, seller=einvoice.seller,
        seller_vat_id=einvoice.seller_vat_id, number=einvoice.number, issued_on=einvoice.issued_on,
        currency=einvoice.currency, net=einvoice.net, tax=einvoice.tax, gross=einvoice.gross, expense=expense)


def _keep_for_review(*, message, user, data: bytes, problem: str, einvoice: EInvoice | None = None) -> None:
    record = IncomingEInvoice(message=message, sent_by=user, status=IncomingEInvoice.Status.UNREADABLE,
                              problem=problem[:4000])
    if einvoice is not None:
        for field in ("syntax", "seller", "seller_vat_id", "number", "issued_on", "currency", "net", "tax", "gross"):
            setattr(record, field, getattr(einvoice, field))
    record.file.save(message.media_filename or _default_name(message), ContentFile(data), save=False)
    record.save()
    logger.warning("E-invoice in message %s kept for review: %s", message.pk, problem)


def _description(einvoice: EInvoice) -> str:
    text = f"Invoice {einvoice.number}"
    if einvoice.line_names:
        text += ": " + "; ".join(einvoice.line_names)
    return text[:500]


def _what(record) -> str:
    return f"{record.seller}, invoice {record.number}"


def _default_name(message) -> str:
    return f"einvoice-{message.pk}.xml" if "xml" in (message.media_mime_type or "") else f"einvoice-{message.pk}.pdf"
