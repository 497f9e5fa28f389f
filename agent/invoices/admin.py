"""Admin of invoices as documents: lines inline on the invoice, its "Download PDF" and "Send on
WhatsApp", the business profile (one row, managers and superusers edit it), and the e-invoices
people sent in.

InvoiceDocumentAdminMixin goes on the invoice admin (agent.admin.records): it adds the lines, keeps
the stored totals those of the lines, serves the PDF after checking the viewer may see that
invoice, sends it (the page's button and the list's action, each invoice checked by
agent.invoices.sending) and shows the ticks of the message that sent it.
"""

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from agent import services
from config.display import local_datetime, money
from agent.errors import ApplicationError
from agent.invoices.document import invoice_document
from agent.invoices.lines import line_check, totals_of
from agent.invoices.models import BusinessProfile, IncomingEInvoice, InvoiceLine
from agent.invoices.profile import business_profile, invoice_check_issuable
from agent.invoices.sending import invoice_send
from agent.invoices.services import invoice_totals_refresh
from whatsapp.admin.transcript import DELIVERY

TOTALS = ("net", "tax_rate", "gross", "tax_breakdown")


def delivery_html(message) -> str:
    """The ticks of the message that sent an invoice: "✓✓ Read", with when it got there."""
    if message is None:
        return "-"
    ticks, label, css = DELIVERY.get(message.status, ("", message.get_status_display(), ""))
    when = message.read_at or message.delivered_at or message.sent_at or message.failed_at
    return format_html('<span class="invoice-delivery delivery-{}" title="{}">{} {}</span>{}{}', css,
                       message.error_title or label, ticks, label,
                       format_html(" ({})", local_datetime(when)) if when else "",
                       " as the invoice template" if message.type == "template" else "")


class InvoiceLineFormSet(BaseInlineFormSet):
    """Every line checked as the services check them (agent.invoices.lines); at least one."""

    def clean(self):
        super().clean()
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
                and (form.instance.pk or form.has_changed())]
        if not kept:
            raise ValidationError("An invoice needs at least one line.")
        lines = []
        for position, form in enumerate(kept, start=1):
            data = form.cleaned_data
            try:
                line = line_check(description=data.get("description"), quantity=data.get("quantity"),
                                  unit=data.get("unit"), unit_price=data.get("unit_price"),
                                  tax_rate=data.get("tax_rate"), default_tax_rate=Decimal(0), position=position)
            except ApplicationError as error:
                raise ValidationError(str(error)) from None
            # Not a form field: a new line row needs it before it is saved (the totals follow).
            form.instance.net_amount = line.net_amount
            lines.append(line)
        if totals_of(lines).net <= 0:
            raise ValidationError("The lines add up to nothing: the invoice's net total must be more than zero.")


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    formset = InvoiceLineFormSet
    fields = ("position", "description", "quantity", "unit", "unit_price", "tax_rate", "line_net")
    readonly_fields = ("line_net",)
    extra = 0
    min_num = 1

    # Lines are part of their invoice: who may add or change the invoice edits its lines (and
    # removing a line is changing the invoice, not deleting a record).
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("agent.view_invoice") or request.user.has_perm("agent.change_invoice")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("agent.change_invoice" if obj is not None else "agent.add_invoice")

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    @admin.display(description="Net amount")
    def line_net(self, obj):
        if obj is None or obj.net_amount is None:
            return "-"
        return money(obj.net_amount, obj.invoice.currency)


class InvoiceDocumentAdminMixin:
    """Lines inline, totals from the lines, and the PDF (see the module's docstring)."""

    inlines = [InvoiceLineInline]
    change_form_template = "admin/agent/invoice/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        return tuple(super().get_readonly_fields(request, obj)) + TOTALS + ("whatsapp_delivery",)

    @admin.display(description="On WhatsApp")
    def whatsapp_delivery(self, obj):
        return delivery_html(obj.sent_message if obj is not None and obj.pk else None)

    @admin.display(description="Tax by rate")
    def tax_breakdown(self, obj):
        if obj is None or not obj.pk:
            return "Computed from the lines when saved."
        rows = totals_of(obj.lines.all()).by_rate
        return format_html_join(", ", "{}", ((f"{(r.rate * 100).normalize():f}%: net {money(r.net, obj.currency)}, "
                                              f"tax {money(r.tax, obj.currency)}",) for r in rows)) or "-"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.number = services.invoice_number_next(year=obj.issued_on.year)
            # The lines are saved next (save_related), in this transaction, and set the real totals.
            obj.net = obj.gross = Decimal("0.01")
            obj.tax_rate = Decimal(0)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        invoice_totals_refresh(invoice=form.instance)

    def get_urls(self):
        pdf = path("<path:object_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="agent_invoice_pdf")
        send = path("<path:object_id>/send/", self.admin_site.admin_view(self.send_view), name="agent_invoice_send")
        return [pdf, send] + super().get_urls()

    def _send(self, request, invoice) -> bool:
        """Send one invoice (agent.invoices.sending checks it for this person); says what happened."""
        try:
            invoice_send(user=request.user, invoice_id=invoice.pk)
        except ApplicationError as error:
            self.message_user(request, f"Not sent {invoice.number}: {error}", messages.WARNING)
            return False
        return True

    def send_view(self, request, object_id):
        """The page's "Send on WhatsApp" (POST): this invoice's PDF to its customer."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        invoice = self.get_object(request, object_id)
        if invoice is None:
            raise Http404("No such invoice.")
        if not self.has_change_permission(request, invoice):
            raise PermissionDenied
        if self._send(request, invoice):
            self.message_user(request, f"Invoice {invoice.number} is on its way to {invoice.customer} on WhatsApp; "
                                       f"its ticks show here.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:agent_invoice_change", args=[invoice.pk]))

    @admin.action(description="Send on WhatsApp (PDF)", permissions=["change"])
    def send_on_whatsapp(self, request, queryset):
        """Each selected invoice through invoice_send; the others are named, with why."""
        done = sum(self._send(request, invoice) for invoice in queryset.select_related("customer"))
        if done:
            self.message_user(request, f"{done} invoice(s) on their way on WhatsApp.", messages.SUCCESS)

    def pdf_view(self, request, object_id):
        """The invoice's PDF (with its e-invoice), for whoever may view this invoice here."""
        invoice = self.get_object(request, object_id)
        if invoice is None:
            raise Http404("No such invoice.")
        if not self.has_view_or_change_permission(request, invoice):
            raise PermissionDenied
        try:
            document = invoice_document(invoice=invoice)
        except ApplicationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:agent_invoice_change", args=[invoice.pk]))
        response = HttpResponse(document.pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        invoice = self.get_object(request, object_id)
        if invoice is not None:
            extra["pdf_url"] = reverse("admin:agent_invoice_pdf", args=[invoice.pk])
            if self.has_change_permission(request, invoice):
                extra["send_url"] = reverse("admin:agent_invoice_send", args=[invoice.pk])
            try:
                invoice_check_issuable(invoice=invoice)
            except ApplicationError as error:
                extra["document_problem"] = str(error)
        return super().change_view(request, object_id, form_url, extra_context=extra)


@admin.register(BusinessProfile)
class BusinessProfileAdmin(admin.ModelAdmin):
    """One row: the list opens it; managers and superusers change it (Managers group permission)."""

    fieldsets = (
        ("The business", {"fields": ("legal_name", "address_line1", "address_line2", "postcode", "city",
                                     "country_code", "vat_id", "tax_number", "email", "phone", "logo")}),
        ("Payment", {"fields": ("iban", "bic", "bank_name", "payment_terms")}),
        ("Printed at the foot", {"fields": ("footer",)}),
    )
    readonly_fields = ("updated_at",)

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:agent_businessprofile_change", args=[business_profile().pk]))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IncomingEInvoice)
class IncomingEInvoiceAdmin(admin.ModelAdmin):
    """What people sent in, what was read, and the unreadable ones to review (filter by status)."""

    list_display = ("created_at", "status_badge", "seller", "number", "issued_on", "gross", "currency",
                    "expense_link", "sent_by")
    list_filter = ("status", "syntax")
    search_fields = ("seller", "seller_vat_id", "number")
    date_hierarchy = "created_at"
    list_select_related = ("expense", "sent_by")
    fields = ("status", "syntax", "seller", "seller_vat_id", "number", "issued_on", "currency", "net", "tax",
              "gross", "expense_link", "file", "problem", "message_link", "sent_by", "created_at")
    readonly_fields = tuple(name for name in fields if name != "status")
    actions = ["mark_reviewed"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        colour = "#ba2121" if obj.status == IncomingEInvoice.Status.UNREADABLE else "#417690"
        return format_html('<span style="color:{};font-weight:bold">{}</span>', colour, obj.get_status_display())

    @admin.display(description="Expense")
    def expense_link(self, obj):
        if obj.expense_id is None:
            return "-"
        return format_html('<a href="{}">#{}</a>', reverse("admin:agent_expense_change", args=[obj.expense_id]),
                           obj.expense_id)

    @admin.display(description="Message")
    def message_link(self, obj):
        return format_html('<a href="{}">the WhatsApp message</a>',
                           reverse("admin:whatsapp_message_change", args=[obj.message_id]))

    @admin.action(description="Mark reviewed", permissions=["change"])
    def mark_reviewed(self, request, queryset):
        done = queryset.filter(status=IncomingEInvoice.Status.UNREADABLE).update(
            status=IncomingEInvoice.Status.REVIEWED)
        self.message_user(request, f"{done} e-invoice(s) marked reviewed.", messages.SUCCESS)
