"""Invoice tools: staff and managers manage invoices; a customer sees only their own."""

from rest_framework import serializers

from agent import selectors, services
from agent.errors import ApplicationError
from agent.invoices.profile import invoice_check_issuable
from agent.invoices.sending import MAX_REQUESTED, invoice_check_sendable, invoice_send, my_invoices_send
from agent.tools.fields import AmountsSerializer, LineInputSerializer
from agent.tools.registry import CUSTOMERS, STAFF, ToolContext, tool
from agent.tools.serialize import invoice_json, quoted, totals_json
from config.display import money, phone

LIST_LIMIT = 25


class CreateInvoice(AmountsSerializer):
    customer_id = serializers.IntegerField(help_text="From find_customer or add_customer.")
    description = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                        help_text="What it is for; required with one amount.")
    lines = LineInputSerializer(many=True, required=False,
                                help_text="Only when the person lists several items, quantities or rates; "
                                          "otherwise give one amount.")
    issued_on = serializers.DateField(required=False, help_text="YYYY-MM-DD; omit for today.")
    supplied_on = serializers.DateField(required=False, help_text="YYYY-MM-DD; omit when supplied on the issue date.")
    due_on = serializers.DateField(required=False, help_text="YYYY-MM-DD; omit for the default payment term.")

    def validate(self, attrs):
        if attrs.get("lines"):
            return attrs
        return super().validate(attrs)


@tool("create_invoice", roles=STAFF, serializer=CreateInvoice)
def create_invoice(ctx: ToolContext, args: dict) -> dict:
    """Create an invoice for a customer (find or add the customer first): one amount with a
    description, or lines. Its number is generated. The result says whether its document (PDF with
    e-invoice) can be issued, or what is missing."""
    invoice = services.invoice_create(user=ctx.user, source_message=ctx.message, **args)
    try:
        invoice_check_issuable(invoice=invoice)
        document = "ready: its PDF can be issued"
    except ApplicationError as error:
        document = str(error)
    return {"saved": invoice_json(invoice), "document": document}


class ListInvoices(serializers.Serializer):
    state = serializers.ChoiceField(choices=["open", "overdue", "paid", "all"], required=False, default="open")
    customer_id = serializers.IntegerField(required=False)


@tool("list_invoices", roles=STAFF, serializer=ListInvoices)
def list_invoices(ctx: ToolContext, args: dict) -> dict:
    """List invoices: open (not paid yet), overdue (open and past due), paid, or all; optionally of one customer."""
    invoices = selectors.invoice_list(user=ctx.user, state=args["state"], customer_id=args.get("customer_id"))
    rows = [invoice_json(i) for i in invoices.select_related("customer")[:LIST_LIMIT]]
    return {"invoices": rows, "totals": totals_json(selectors.invoice_totals(invoices)), "shown": len(rows)}


class MarkInvoicePaid(serializers.Serializer):
    invoice_id = serializers.IntegerField()
    paid_on = serializers.DateField(required=False, help_text="YYYY-MM-DD; omit for today.")


def _ask_mark_paid(ctx: ToolContext, args: dict) -> str:
    invoice = selectors.invoice_get(user=ctx.user, invoice_id=args["invoice_id"])
    services.invoice_check_payable(invoice=invoice)
    when = f" on {args['paid_on']:%Y-%m-%d}" if args.get("paid_on") else ""
    return (f"Mark invoice {invoice.number} ({invoice.currency} {invoice.gross}, {quoted(invoice.customer)}) "
            f"as paid{when}?")


@tool("mark_invoice_paid", roles=STAFF, serializer=MarkInvoicePaid, asks=_ask_mark_paid)
def mark_invoice_paid(ctx: ToolContext, args: dict) -> dict:
    """Mark an invoice as paid. The person is asked first with Yes/No buttons; it is marked paid
    only when they tap Yes (you cannot confirm for them)."""
    invoice = services.invoice_mark_paid(user=ctx.user, invoice_id=args["invoice_id"], paid_on=args.get("paid_on"))
    return {"saved": invoice_json(invoice), "summary": f"Invoice {invoice.number} is marked paid "
                                                       f"({invoice.currency} {invoice.gross})."}


class SendInvoice(serializers.Serializer):
    invoice_id = serializers.IntegerField(help_text="From list_invoices or create_invoice.")


def _ask_send_invoice(ctx: ToolContext, args: dict) -> str:
    sendable = invoice_check_sendable(user=ctx.user, invoice_id=args["invoice_id"])
    invoice = sendable.invoice
    return (f"Send invoice {invoice.number} ({money(invoice.gross, invoice.currency)}) as a PDF to "
            f"{quoted(invoice.customer)} on WhatsApp ({phone(sendable.to)})?")


@tool("send_invoice", roles=STAFF, serializer=SendInvoice, asks=_ask_send_invoice)
def send_invoice(ctx: ToolContext, args: dict) -> dict:
    """Send an invoice's PDF (with its e-invoice) to the customer on WhatsApp. The person is asked
    first with Yes/No buttons; it is sent only when they tap Yes (you cannot confirm for them)."""
    invoice = invoice_send(user=ctx.user, invoice_id=args["invoice_id"])
    return {"saved": invoice_json(invoice), "summary": f"Invoice {invoice.number} is on its way to {invoice.customer.company_name} on WhatsApp "
                       f"as a PDF."}


class NoArguments(serializers.Serializer):
    pass


@tool("my_invoices", roles=CUSTOMERS, serializer=NoArguments)
def my_invoices(ctx: ToolContext, args: dict) -> dict:
    """The invoices of the customer you are talking to, and what they still owe."""
    invoices, outstanding = selectors.my_invoices(user=ctx.user)
    rows = [invoice_json(i) for i in invoices.select_related("customer")[:LIST_LIMIT]]
    return {"invoices": rows, "outstanding": totals_json(outstanding)}


class SendMyInvoices(serializers.Serializer):
    numbers = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=MAX_REQUESTED,
        help_text="Invoice numbers as the customer wrote them (e.g. INV-2026-0012); omit for all their open "
                  "invoices.")


@tool("send_my_invoices", roles=CUSTOMERS, serializer=SendMyInvoices)
def send_my_invoices(ctx: ToolContext, args: dict) -> dict:
    """Send the customer you are talking to the PDFs of their own invoices, in this chat: the
    numbers they name, or all their open invoices. Only their own invoices can be found."""
    sent, problems = my_invoices_send(user=ctx.user, numbers=args.get("numbers"))
    summary = (f"Sent as PDF: {', '.join(i.number for i in sent)}." if sent else "Nothing was sent.")
    return {"sent": [invoice_json(i) for i in sent], "not_sent": problems,
            "summary": " ".join([summary, *problems])}
