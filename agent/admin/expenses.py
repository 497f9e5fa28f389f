"""Expense admin: filters, the total of the filtered list, receipt preview, CSV export, and the
review (expense_review.py: one at a time with the next one after it, or in bulk).

Users without agent.review_expense see only their own expenses.
"""

import mimetypes
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from agent import selectors
from agent.admin.columns import AmountColumns
from agent.admin.csv_export import CsvExportMixin
from agent.admin.expense_review import (
    REVIEW_PERMISSION,
    ExpenseReviewMixin,
    StatusFilter,
    can_review,
    is_image,
    may_review,
    review_refusal,
)
from agent.models import Expense
from config.display import local_date

# Receipts shown in the browser; anything else (an uploaded .html or .svg could run script in the
# admin's origin) is downloaded as an opaque attachment.
INLINE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf")


def expenses_for(user):
    """What this admin user may see: all for superusers; otherwise what the selectors allow, and
    only their own without the review permission."""
    if user.is_superuser:
        return Expense.objects.select_related("submitted_by")
    expenses = selectors.expenses_visible_to(user)
    if not user.has_perm(REVIEW_PERMISSION):
        expenses = expenses.filter(submitted_by=user)
    return expenses


def _receipt_files(expenses) -> list[tuple]:
    return [(e.receipt.storage, e.receipt.name) for e in expenses if e.receipt]


def _drop_after_commit(files) -> None:
    """An expense deleted here takes its receipt file with it once the deletion commits, as
    services.expense_delete does: a file without its expense is out of the retention purge's reach."""
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])


@admin.register(Expense)
class ExpenseAdmin(AmountColumns, ExpenseReviewMixin, CsvExportMixin, admin.ModelAdmin):
    # A reviewer's list opens on the pending expenses. Related-only: the person filter offers only
    # people in the list this user may see.
    list_filter = (StatusFilter, "category", ("submitted_by", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "spent_on"
    search_fields = ("merchant", "description", "submitted_by__username", "submitted_by__first_name",
                     "submitted_by__last_name")
    list_select_related = ("submitted_by",)
    readonly_fields = ("status", "reviewed_by", "reviewed_at", "review_note", "reviewed_by_submitter", "source_message",
                       "created_at", "updated_at", "receipt_preview", "review_link")
    raw_id_fields = ("submitted_by",)
    fieldsets = (
        (None, {"fields": ("submitted_by", "spent_on", "category", "merchant", "description")}),
        ("Amounts", {"fields": ("net", "tax_rate", "gross", "currency")}),
        ("Receipt", {"fields": ("receipt", "receipt_preview")}),
        ("Review", {"fields": ("status", "review_link", "reviewed_by", "reviewed_at", "review_note",
                               "reviewed_by_submitter")}),
        ("Record", {"fields": ("source_message", "created_at", "updated_at")}),
    )
    actions = ["approve_selected", "reject_selected"]
    change_list_template = "admin/agent/change_list_totals.html"
    csv_columns = [
        ("id", "pk"), ("date", "spent_on"), ("person", lambda e: e.submitted_by.display_name),
        ("category", "category"), ("merchant", "merchant"), ("description", "description"), ("net", "net"),
        ("tax_rate", "tax_rate"), ("tax", "tax"), ("gross", "gross"), ("currency", "currency"),
        ("status", "status"), ("reviewed_by", lambda e: e.reviewed_by.display_name if e.reviewed_by else ""),
        ("review_note", "review_note"), ("receipt", lambda e: e.receipt.name if e.receipt else ""),
    ]

    # --- list ---------------------------------------------------------------------------------
    def get_queryset(self, request):
        return expenses_for(request.user).select_related("reviewed_by")

    def get_list_display(self, request):
        filters = request.GET.urlencode()

        def review(obj):
            if obj.status != Expense.Status.PENDING or not may_review(request.user, obj):
                return "-"
            url = reverse("admin:agent_expense_review", args=[obj.pk])
            if filters:
                url += "?" + urlencode({"next": f"{request.path}?{filters}"})
            return format_html('<a class="button review-link" href="{}">Review</a>', url)

        review.short_description = "Review"
        # The key columns fit a laptop beside the menu: amounts with their currency (no columns of
        # their own for the tax and the currency: the expense's page has them), the status, the review.
        return ("spent_on", "person", "category", "merchant_and_description", "net_amount", "gross_amount",
                "status_badge", "receipt_link", review)

    @admin.display(description="Person", ordering="submitted_by__first_name")
    def person(self, obj):
        return obj.submitted_by.display_name

    @admin.display(description="Merchant / description", ordering="merchant")
    def merchant_and_description(self, obj):
        description = Truncator(obj.description).chars(60)
        if obj.merchant and description:
            return format_html("<strong>{}</strong><br>{}", obj.merchant, description)
        return obj.merchant or description or "-"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        colors = {"pending": "#b26b00", "approved": "#2e7d32", "rejected": "#ba2121"}
        return format_html('<strong style="color:{}">{}</strong>{}', colors.get(obj.status, "inherit"),
                           obj.get_status_display(), " (by its submitter)" if obj.self_reviewed else "")

    @admin.display(description="Receipt")
    def receipt_link(self, obj):
        if not obj.receipt:
            return "-"
        return format_html('<a href="{}" target="_blank">{}</a>',
                           reverse("admin:agent_expense_receipt", args=[obj.pk]),
                           "Photo" if is_image(obj.receipt.name) else "PDF" if obj.receipt.name.lower().endswith(
                               ".pdf") else "File")

    @admin.display(description="Preview")
    def receipt_preview(self, obj):
        if obj and obj.receipt_removed_at:
            return f"Receipt removed at the end of the retention period ({local_date(obj.receipt_removed_at)})"
        if not obj or not obj.receipt:
            return "No receipt"
        url = reverse("admin:agent_expense_receipt", args=[obj.pk])
        if is_image(obj.receipt.name):
            return format_html('<a href="{0}" target="_blank"><img src="{0}" alt="Receipt" '
                               'style="max-width:360px;max-height:360px;border:1px solid #ccc"></a>', url)
        return format_html('<a href="{}" target="_blank">Open the receipt ({})</a>', url,
                           obj.receipt.name.rsplit("/", 1)[-1])

    @admin.display(description="Reviewed by its submitter")
    def reviewed_by_submitter(self, obj):
        # Text, not the boolean icon: the record says so in words (four eyes, services.expense_check_reviewable).
        if obj and obj.self_reviewed:
            return "Yes: reviewed by the person who submitted it (a superuser, or the only manager then)."
        return "No"

    @admin.display(description="Review")
    def review_link(self, obj):
        # Who may review this one is decided per viewer in change_view (the form, or why not).
        if not obj or not obj.pk:
            return "-"
        if obj.status != Expense.Status.PENDING:
            return f"Already {obj.get_status_display().lower()}."
        return "Waiting for a manager's review."

    def changelist_extra(self, request, changelist):
        extra = super().changelist_extra(request, changelist)
        extra["totals"] = selectors.expense_totals(changelist.queryset)
        if can_review(request.user):
            extra["review_queue_url"] = reverse("admin:agent_expense_review_next")
        return extra

    # --- permissions ----------------------------------------------------------------------------
    def has_change_permission(self, request, obj=None):
        # As on WhatsApp (services.expense_check_changeable): one's own expense, while it is pending. A
        # reviewer who could rewrite a colleague's figures would approve what they wrote themselves.
        if obj is not None and not request.user.is_superuser and (
                obj.status != Expense.Status.PENDING or obj.submitted_by_id != request.user.pk):
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # Only a superuser records an expense in someone else's name: anyone else could then review
        # "someone else's" expense they entered themselves, round the four-eyes rule.
        return fields if request.user.is_superuser else (*fields, "submitted_by")

    def has_delete_permission(self, request, obj=None):
        # As on WhatsApp: one's own expense while it is pending (a superuser: any).
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None or request.user.is_superuser:
            return allowed
        return obj.submitted_by_id == request.user.pk and obj.status == Expense.Status.PENDING

    def delete_model(self, request, obj):
        files = _receipt_files([obj])
        super().delete_model(request, obj)
        _drop_after_commit(files)

    def delete_queryset(self, request, queryset):
        files = _receipt_files(queryset)
        super().delete_queryset(request, queryset)
        _drop_after_commit(files)

    def save_model(self, request, obj, form, change):
        if not obj.submitted_by_id:
            obj.submitted_by = request.user
        super().save_model(request, obj, form, change)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("delete_selected", None)  # deletes without asking each record; the change page does
        if not can_review(request.user):
            actions.pop("approve_selected", None)
            actions.pop("reject_selected", None)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The review form under the change form: reviewers only, pending expenses only, and not
        # where four eyes forbids it (then the reason instead).
        extra_context = dict(extra_context or {})
        expense = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        if expense is not None and expense.status == Expense.Status.PENDING and can_review(request.user):
            refusal = review_refusal(request.user, expense)
            if refusal:
                extra_context["review_refusal"] = refusal
            else:
                extra_context["review_url"] = reverse("admin:agent_expense_review", args=[expense.pk])
                extra_context["review_next"] = reverse("admin:agent_expense_changelist")
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        if (request.method == "POST" and request.POST.get("action") in ("approve_selected", "reject_selected")
                and not can_review(request.user)):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    # --- urls -----------------------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/receipt/", view(self.receipt_view), name="agent_expense_receipt"),
        ] + super().get_urls()

    def receipt_view(self, request, pk):
        """The receipt file (staff only, with view or change permission on expenses, and only an
        expense they may see): images and PDFs inline, anything else as a download."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        expense = self.get_queryset(request).filter(pk=pk).first()
        if expense is None or not expense.receipt:
            raise Http404("No receipt.")
        filename = expense.receipt.name.rsplit("/", 1)[-1]
        content_type = mimetypes.guess_type(filename)[0]
        inline = content_type in INLINE_TYPES
        response = FileResponse(expense.receipt.open("rb"), as_attachment=not inline, filename=filename,
                                content_type=content_type if inline else "application/octet-stream")
        response["X-Content-Type-Options"] = "nosniff"
        return response
