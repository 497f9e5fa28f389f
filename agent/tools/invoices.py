"""Invoice tools: staff and managers manage invoices; a customer sees only their own."""

from rest_framework import serializers

from agent import selectors, services
from agent.errors import ApplicationError
from agent.invoices.profile import invoice_check_issuable
from agent.invoices.sending import MAX_REQUESTED, invoice_check_sendable, invoice_send, my_invoices_send
from agent.tools.fields import AmountsSerializer, LineInputSerializer
from agent.tools.registry import CUSTOMERS, STAFF, ToolContext, tool
from agent.tools.results import page
from agent.tools.serialize import invoice_json, quoted, totals_json
from config.display import money, phone


class CreateInvoice(AmountsSerializer):
    customer_id = serializers.IntegerField()
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    lines = LineInputSerializer(many=True, required=False, help_text="only for several items, quantities or rates")
    issued_on = serializers.DateField(required=False)
    supplied_on = serializers.DateField(required=False)
    due_on = serializers.DateField(required=False)

    def validate(self, attrs):
        if attrs.get("lines"):
            return attrs
        return super().validate(attrs)


@tool("create_invoice", roles=STAFF, serializer=CreateInvoice)
def create_invoice(ctx: ToolContext, args: dict) -> dict:
    """Invoice a customer: one amount with a description, or lines. Says if its PDF can be issued."""
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
    offset = serializers.IntegerField(required=False, default=0, min_value=0)


@tool("list_invoices", roles=STAFF, serializer=ListInvoices)
def list_invoices(ctx: ToolContext, args: dict) -> dict:
    """Invoices by state (default open: not paid), and their totals."""
    invoices = selectors.invoice_list(user=ctx.user, state=args["state"], customer_id=args.get("customer_id"))
    rows = page(invoices.select_related("customer"), key="invoices", offset=args["offset"], to_json=invoice_json)
    return {**rows, "totals": totals_json(selectors.invoice_totals(invoices))}


class MarkInvoicePaid(serializers.Serializer):
    invoice_id = serializers.IntegerField()
    paid_on = serializers.DateField(required=False)


def _ask_mark_paid(ctx: ToolContext, args: dict) -> str:
    invoice = selectors.invoice_get(user=ctx.user, invoice_id=args["invoice_id"])
    services.invoice_check_payable(invoice=invoice)
    when = f" on {args['paid_on']:%Y-%m-%d}" if args.get("paid_on") else ""
    return (f"Mark invoice {invoice.number} ({invoice.currency} {invoice.gross}, {quoted(invoice.customer)}) "
            f"as paid{when}?")


@tool("mark_invoice_paid", roles=STAFF, serializer=MarkInvoicePaid, asks=_ask_mark_paid)
def mark_invoice_paid(ctx: ToolContext, args: dict) -> dict:
    """Mark an invoice paid (asks Yes/No)."""
    invoice = services.invoice_mark_paid(user=ctx.user, invoice_id=args["invoice_id"], paid_on=args.get("paid_on"))
    return {"saved": invoice_json(invoice), "summary": f"Invoice {invoice.number} is marked paid "
                                                       f"({invoice.currency} {invoice.gross})."}


class SendInvoice(serializers.Serializer):
    invoice_id = serializers.IntegerField()


def _ask_send_invoice(ctx: ToolContext, args: dict) -> str:
    sendable = invoice_check_sendable(user=ctx.user, invoice_id=args["invoice_id"])
    invoice = sendable.invoice
    return (f"Send invoice {invoice.number} ({money(invoice.gross, invoice.currency)}) as a PDF to "
            f"{quoted(invoice.customer)} on WhatsApp ({phone(sendable.to)})?")


@tool("send_invoice", roles=STAFF, serializer=SendInvoice, asks=_ask_send_invoice)
def send_invoice(ctx: ToolContext, args: dict) -> dict:
    """Send an invoice's PDF to its customer on WhatsApp (asks Yes/No)."""
    invoice = invoice_send(user=ctx.user, invoice_id=args["invoice_id"])
    return {"saved": invoice_json(invoice), "summary": f"Invoice {invoice.number} is on its way to {invoice.customer.company_name} on WhatsApp "
                       f"as a PDF."}


class MyInvoices(serializers.Serializer):
    offset = serializers.IntegerField(required=False, default=0, min_value=0)


@tool("my_invoices", roles=CUSTOMERS, serializer=MyInvoices)
def my_invoices(ctx: ToolContext, args: dict) -> dict:
    """This customer's invoices and what they owe."""
    invoices, outstanding = selectors.my_invoices(user=ctx.user)
    rows = page(invoices.select_related("customer"), key="invoices", offset=args["offset"], to_json=invoice_json)
    return {**rows, "outstanding": totals_json(outstanding)}


class SendMyInvoices(serializers.Serializer):
    numbers = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=MAX_REQUESTED,
        help_text="as the customer wrote them; omit for all their open invoices")


@tool("send_my_invoices", roles=CUSTOMERS, serializer=SendMyInvoices)
def send_my_invoices(ctx: ToolContext, args: dict) -> dict:
    """Send this customer PDFs of their own invoices in this chat."""
    sent, problems = my_invoices_send(user=ctx.user, numbers=args.get("numbers"))
    summary = (f"Sent as PDF: {', '.join(i.number for i in sent)}." if sent else "Nothing was sent.")
    return {"sent": [invoice_json(i) for i in sent], "not_sent": problems,
            "summary": " ".join([summary, *problems])}
