"""Expense admin: filters, the total of the filtered list, receipt preview, review (single with a
note, and in bulk) through services.expense_review, CSV export.

Only users with agent.review_expense may approve or reject (403 otherwise); users without it see
only their own expenses. Each record is checked on its own (services.expense_check_reviewable:
four eyes): review buttons show only where the viewer may review, a review they may not make
answers 403, and a bulk review reports every expense it skipped and why.
"""

import mimetypes
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator

from agent import selectors, services
from agent.admin.columns import money_column
from agent.admin.csv_export import CsvExportMixin
from agent.errors import ApplicationError
from agent.models import Expense
from config.display import local_date

REVIEW_PERMISSION = "agent.review_expense"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp")
# Receipts shown in the browser; anything else (an uploaded .html or .svg could run script in the
# admin's origin) is downloaded as an opaque attachment.
INLINE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf")


def can_review(user) -> bool:
    return user.is_active and user.has_perm(REVIEW_PERMISSION)


def expenses_for(user):
    """What this admin user may see: all for superusers; otherwise what the selectors allow, and
    only their own without the review permission."""
    if user.is_superuser:
        return Expense.objects.select_related("submitted_by")
    expenses = selectors.expenses_visible_to(user)
    if not user.has_perm(REVIEW_PERMISSION):
        expenses = expenses.filter(submitted_by=user)
    return expenses


def may_review(user, expense) -> bool:
    """Whether to offer `user` a review of this expense (permission, then the record's own rule)."""
    return can_review(user) and services.expense_may_review(reviewer=user, expense=expense)


def review_refusal(user, expense) -> str:
    """Why `user` may not review this expense now ("" when they may)."""
    try:
        services.expense_check_reviewable(reviewer=user, expense=expense)
    except ApplicationError as error:
        return str(error)
    return ""


def _receipt_files(expenses) -> list[tuple]:
    return [(e.receipt.storage, e.receipt.name) for e in expenses if e.receipt]


def _drop_after_commit(files) -> None:
    """An expense deleted here takes its receipt file with it once the deletion commits, as
    services.expense_delete does: a file without its expense is out of the retention purge's reach."""
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])


def is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


@admin.register(Expense)
class ExpenseAdmin(CsvExportMixin, admin.ModelAdmin):
    # Related-only: the person filter offers only people in the list this user may see.
    list_filter = ("status", "category", ("submitted_by", admin.RelatedOnlyFieldListFilter))
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
        return ("spent_on", "person", "category", "merchant", "short_description", "net_amount", "tax_amount",
                "gross_amount", "status_badge", "receipt_link", review)

    @admin.display(description="Person", ordering="submitted_by__first_name")
    def person(self, obj):
        return obj.submitted_by.display_name

    @admin.display(description="Description")
    def short_description(self, obj):
        return Truncator(obj.description).chars(60)

    net_amount = money_column("net", "Net")
    tax_amount = money_column("tax", "Tax", sortable=False)
    gross_amount = money_column("gross", "Gross")

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
            path("<int:pk>/review/", view(self.review_view), name="agent_expense_review"),
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

    def review_view(self, request, pk):
        """Approve or reject one expense with a note."""
        if not can_review(request.user):
            raise PermissionDenied
        expense = self.get_queryset(request).filter(pk=pk).first()
        if expense is None:
            raise Http404("Expense not found.")
        if expense.status == Expense.Status.PENDING and review_refusal(request.user, expense):
            raise PermissionDenied(review_refusal(request.user, expense))
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            next_url = ""
        if request.method == "POST":
            decision = request.POST.get("decision")
            if decision in ("approve", "reject"):
                try:
                    services.expense_review(reviewer=request.user, expense_id=expense.pk,
                                            approve=decision == "approve", note=request.POST.get("note", ""))
                except ApplicationError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(request, f"Expense #{expense.pk} {decision}d; the submitter was notified.")
                    return HttpResponseRedirect(next_url or reverse("admin:agent_expense_changelist"))
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "expense": expense,
            "title": f"Review expense #{expense.pk}", "next": next_url,
        }
        return TemplateResponse(request, "admin/agent/expense/review.html", context)

    # --- bulk review ----------------------------------------------------------------------------
    def _bulk_review(self, request, queryset, approve: bool):
        if not can_review(request.user):
            raise PermissionDenied
        expenses = list(queryset.select_related("submitted_by"))
        skipped = {e.pk: review_refusal(request.user, e) for e in expenses}
        if request.POST.get("post") == "yes":
            done = 0
            for expense in expenses:
                if skipped[expense.pk]:
                    continue
                try:
                    services.expense_review(reviewer=request.user, expense_id=expense.pk, approve=approve,
                                            note=request.POST.get("note", ""))
                    done += 1
                except ApplicationError as error:  # it changed since the list was read
                    skipped[expense.pk] = str(error)
            verb = "approved" if approve else "rejected"
            self.message_user(request, f"{done} expense(s) {verb}; the submitters were notified.", messages.SUCCESS)
            for pk, reason in skipped.items():
                if reason:
                    self.message_user(request, f"Skipped expense #{pk}: {reason}", messages.WARNING)
            return None
        for expense in expenses:
            expense.skip_reason = skipped[expense.pk]
        to_review = sum(1 for reason in skipped.values() if not reason)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "expenses": expenses,
            "to_review": to_review, "action": "approve_selected" if approve else "reject_selected",
            "approve": approve, "verb": "Approve" if approve else "Reject",
            "title": "Approve expenses" if approve else "Reject expenses",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/agent/expense/review_bulk.html", context)

    @admin.action(description="Approve selected")
    def approve_selected(self, request, queryset):
        return self._bulk_review(request, queryset, approve=True)

    @admin.action(description="Reject selected")
    def reject_selected(self, request, queryset):
        return self._bulk_review(request, queryset, approve=False)
