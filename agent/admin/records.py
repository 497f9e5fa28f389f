"""Revenue, customer and invoice admins (filters, search, CSV), and the agent's read-only log.

Only staff and managers log in here (accounts.groups), and they see all of these records; an action
decides per record through the services, reporting what it skipped and why.
"""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from agent import selectors, services
from agent.admin.columns import AmountColumns
from agent.admin.csv_export import CsvExportMixin
from agent.errors import ApplicationError
from agent.invoices.admin import InvoiceDocumentAdminMixin
from agent.models import AgentTurn, Customer, Invoice, LimitReached, Revenue, ToolCall
from config.admin_site import ReadOnlyAdmin
from config.display import money, phone


def _totals_html(totals) -> str:
    if not totals:
        return "Nothing"
    return format_html_join(", ", "{}", ((f"{money(t['gross'], t['currency'])} ({t['count']})",) for t in totals))


# --- revenue --------------------------------------------------------------------------------------
@admin.register(Revenue)
class RevenueAdmin(AmountColumns, CsvExportMixin, admin.ModelAdmin):
    list_display = ("received_on", "customer", "description", "net_amount", "gross_amount", "recorded_by")
    list_filter = ("currency", ("customer", admin.RelatedOnlyFieldListFilter),
                   ("recorded_by", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "received_on"
    search_fields = ("description", "customer__company_name")
    list_select_related = ("customer", "recorded_by")
    raw_id_fields = ("customer",)
    # Who recorded it, and from which message, are facts: nobody puts a record in someone else's name.
    readonly_fields = ("recorded_by", "source_message")
    change_list_template = "admin/agent/change_list_totals.html"
    csv_columns = [
        ("id", "pk"), ("date", "received_on"), ("customer", "customer__company_name"),
        ("description", "description"), ("net", "net"), ("tax_rate", "tax_rate"), ("tax", "tax"),
        ("gross", "gross"), ("currency", "currency"), ("recorded_by", lambda r: r.recorded_by.display_name),
    ]

    def changelist_extra(self, request, changelist):
        return {**super().changelist_extra(request, changelist),
                "totals": selectors.revenue_totals(changelist.queryset)}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


# --- customers ------------------------------------------------------------------------------------
class InvoiceInline(AmountColumns, admin.TabularInline):
    model = Invoice
    fields = ("number_link", "issued_on", "due_on", "status", "overdue", "gross_amount")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-issued_on", "-id")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Number")
    def number_link(self, obj):
        return obj.number

    @admin.display(description="Overdue")
    def overdue(self, obj):
        return overdue_badge(obj)


@admin.register(Customer)
class CustomerAdmin(CsvExportMixin, admin.ModelAdmin):
    list_display = ("company_name", "contact_name", "phone_shown", "email", "city", "country", "owed")
    list_filter = ("country", "city")
    search_fields = ("company_name", "contact_name", "phone", "email")
    raw_id_fields = ("user",)
    readonly_fields = ("owed_summary", "created_at")
    inlines = [InvoiceInline]

    @admin.display(description="Phone", ordering="phone")
    def phone_shown(self, obj):
        return phone(obj.phone) if obj.phone else "—"
    change_list_template = "admin/agent/change_list_totals.html"
    csv_columns = [
        ("id", "pk"), ("company_name", "company_name"), ("contact_name", "contact_name"), ("phone", "phone"),
        ("email", "email"), ("address", "address"), ("postal_code", "postal_code"), ("city", "city"),
        ("country", "country"), ("created_at", "created_at"),
    ]

    @admin.display(description="Owes")
    def owed(self, obj):
        return _totals_html(selectors.invoice_totals(obj.invoices.filter(status=Invoice.Status.SENT)))

    @admin.display(description="What they owe")
    def owed_summary(self, obj):
        if not obj or not obj.pk:
            return "-"
        outstanding = selectors.invoice_totals(obj.invoices.filter(status=Invoice.Status.SENT))
        overdue = selectors.invoice_totals(obj.invoices.overdue())
        return format_html(
            '<div class="owed-summary">Outstanding: <strong class="owed-total">{}</strong><br>'
            'Overdue: <strong style="color:#ba2121">{}</strong></div>',
            _totals_html(outstanding), _totals_html(overdue))


# --- invoices -------------------------------------------------------------------------------------
def overdue_badge(invoice) -> str:
    if invoice.is_overdue:
        days = (timezone.localdate() - invoice.due_on).days
        return format_html('<span class="overdue-badge" style="background:#ba2121;color:#fff;padding:2px 6px;'
                           'border-radius:3px;font-weight:bold" title="{} days past due">OVERDUE</span>', days)
    return ""


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", "Overdue"), ("no", "Not overdue"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=Invoice.objects.overdue().values("pk"))
        return queryset


@admin.register(Invoice)
class InvoiceAdmin(AmountColumns, InvoiceDocumentAdminMixin, CsvExportMixin, admin.ModelAdmin):
    # The key columns fit a laptop beside the menu: amounts with their currency, the status with
    # "overdue" beside it, the payment date, the delivery on WhatsApp.
    list_display = ("number", "customer", "issued_on", "due_on", "status_and_overdue", "net_amount", "gross_amount",
                    "paid_on", "whatsapp_delivery")
    list_filter = ("status", OverdueFilter, ("customer", admin.RelatedOnlyFieldListFilter), "currency")
    date_hierarchy = "issued_on"
    search_fields = ("number", "description", "customer__company_name")
    list_select_related = ("customer", "sent_message")
    raw_id_fields = ("customer",)
    # Who created it, and from which message, are facts: nobody puts an invoice in someone else's name.
    readonly_fields = ("number", "created_by", "source_message", "created_at", "updated_at")
    actions = ["mark_paid", "send_on_whatsapp"]
    change_list_template = "admin/agent/change_list_totals.html"
    csv_columns = [
        ("number", "number"), ("customer", "customer__company_name"), ("description", "description"),
        ("issued_on", "issued_on"), ("due_on", "due_on"), ("status", "status"),
        ("overdue", lambda i: "yes" if i.is_overdue else "no"), ("net", "net"), ("tax_rate", "tax_rate"),
        ("tax", "tax"), ("gross", "gross"), ("currency", "currency"), ("paid_on", "paid_on"),
    ]

    @admin.display(description="Status", ordering="status")
    def status_and_overdue(self, obj):
        badge = overdue_badge(obj)
        return format_html("{} {}", obj.get_status_display(), badge) if badge else obj.get_status_display()

    def changelist_extra(self, request, changelist):
        return {**super().changelist_extra(request, changelist),
                "totals": selectors.invoice_totals(changelist.queryset)}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Mark paid (today)", permissions=["change"])
    def mark_paid(self, request, queryset):
        """Each selected invoice through services.invoice_mark_paid; the others are named, with why."""
        done = 0
        for invoice in queryset:
            try:
                services.invoice_mark_paid(user=request.user, invoice_id=invoice.pk)
                done += 1
            except ApplicationError as error:
                self.message_user(request, f"Skipped {invoice.number}: {error}", messages.WARNING)
        if done:
            self.message_user(request, f"{done} invoice(s) marked paid.", messages.SUCCESS)


# --- the agent's log (read-only) ------------------------------------------------------------------
@admin.register(AgentTurn)
class AgentTurnAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "conversation", "model", "rounds", "prompt_tokens", "cached_tokens",
                    "completion_tokens", "duration_ms", "failed")
    list_filter = ("model",)
    search_fields = ("error", "conversation__wa_id")
    date_hierarchy = "created_at"

    @admin.display(boolean=True, description="Error")
    def failed(self, obj):
        return bool(obj.error)


@admin.register(LimitReached)
class LimitReachedAdmin(ReadOnlyAdmin):
    """Who went over a per-person limit (agent.limits), when, and how many messages got no answer."""

    list_display = ("user", "kind", "limit", "started_at", "last_at", "messages")
    list_filter = ("kind",)
    list_select_related = ("user",)
    search_fields = ("user__first_name", "user__last_name", "user__username", "user__phone_number")
    date_hierarchy = "started_at"


@admin.register(ToolCall)
class ToolCallAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "conversation", "name", "round", "duration_ms", "failed")
    list_filter = ("name",)
    search_fields = ("name", "error", "conversation__wa_id")
    date_hierarchy = "created_at"

    @admin.display(boolean=True, description="Error")
    def failed(self, obj):
        return bool(obj.error)
