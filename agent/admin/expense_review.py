"""Reviewing expenses in the admin: the list opens on the pending ones, the review page shows the
receipt beside the amounts and moves on to the next pending expense, and a bulk review decides
per record. Every decision goes through services.expense_review (four eyes included).

Only users with agent.review_expense may approve or reject (403 otherwise). Each record is checked on
its own (services.expense_check_reviewable): review buttons show only where the viewer may review,
a review they may not make answers 403, and a bulk review reports every expense it skipped and why.
"""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from agent import services
from agent.errors import ApplicationError
from agent.models import Expense

REVIEW_PERMISSION = "agent.review_expense"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp")


def is_image(name: str) -> bool:
    """Whether a receipt file is a picture (shown as one; anything else is linked)."""
    return name.lower().endswith(IMAGE_EXTENSIONS)


def can_review(user) -> bool:
    return user.is_active and user.has_perm(REVIEW_PERMISSION)


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


def next_to_review(user, expenses, *, after: Expense | None = None) -> Expense | None:
    """The pending expense `user` reviews next, oldest first: the first after `after` in that order,
    else the first before it (one they skipped); never `after` itself, nor one four eyes keeps from them."""
    pending = expenses.filter(status=Expense.Status.PENDING).order_by("spent_on", "id")
    if after is not None:
        pending = pending.exclude(pk=after.pk)
    later, earlier = [], []
    for expense in pending.select_related("submitted_by"):
        if may_review(user, expense):
            is_later = after is None or (expense.spent_on, expense.pk) > (after.spent_on, after.pk)
            (later if is_later else earlier).append(expense)
            if is_later:
                break
    return (later or earlier or [None])[0]


class StatusFilter(admin.SimpleListFilter):
    """By status; a reviewer's list opens on the pending expenses ("All" shows every one)."""

    title = "status"
    parameter_name = "status__exact"  # the field's own lookup: links made before keep working

    def lookups(self, request, model_admin):
        return [*Expense.Status.choices, ("all", "All")]

    def default(self, request) -> str:
        return Expense.Status.PENDING if can_review(request.user) else "all"

    def value(self):
        return super().value() or self.default(self.request)

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value == "all" else queryset.filter(status=value)

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {"selected": self.value() == lookup, "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}

    def __init__(self, request, params, model, model_admin):
        self.request = request  # whose list it is decides the default
        super().__init__(request, params, model, model_admin)


class ExpenseReviewMixin:
    """ExpenseAdmin's review pages and actions."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("review/", view(self.review_next_view), name="agent_expense_review_next"),
            path("<int:pk>/review/", view(self.review_view), name="agent_expense_review"),
        ] + super().get_urls()

    def review_next_view(self, request):
        """The review of the oldest pending expense the viewer may review, or the pending list."""
        if not can_review(request.user):
            raise PermissionDenied
        expense = next_to_review(request.user, self.get_queryset(request))
        if expense is None:
            messages.info(request, "No expense is waiting for your review.")
            return HttpResponseRedirect(reverse("admin:agent_expense_changelist"))
        return HttpResponseRedirect(reverse("admin:agent_expense_review", args=[expense.pk]))

    def review_view(self, request, pk):
        """Approve or reject one expense with a note; "and next" goes on to the next pending one."""
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
            # "approve", "reject", "skip"; "approve_and_next" / "reject_and_next" go on to the next one.
            decision, _, then = request.POST.get("decision", "").partition("_and_")
            if decision in ("approve", "reject"):
                try:
                    services.expense_review(reviewer=request.user, expense_id=expense.pk,
                                            approve=decision == "approve", note=request.POST.get("note", ""))
                except ApplicationError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(request, f"Expense #{expense.pk} {decision}d; the submitter was notified.")
                    return HttpResponseRedirect(self._after_review(request, expense, then, next_url))
            elif decision == "skip":
                return HttpResponseRedirect(self._after_review(request, expense, "next", next_url))
        following = next_to_review(request.user, self.get_queryset(request), after=expense)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "expense": expense,
            "title": f"Review expense #{expense.pk}", "next": next_url, "has_next": following is not None,
            "pending_left": self.get_queryset(request).filter(status=Expense.Status.PENDING).count(),
            "receipt_is_image": bool(expense.receipt) and is_image(expense.receipt.name),
        }
        return TemplateResponse(request, "admin/agent/expense/review.html", context)

    def _after_review(self, request, expense, then: str, next_url: str) -> str:
        if then == "next":
            following = next_to_review(request.user, self.get_queryset(request), after=expense)
            if following is not None:
                url = reverse("admin:agent_expense_review", args=[following.pk])
                return f"{url}?{urlencode({'next': next_url})}" if next_url else url
            messages.info(request, "That was the last expense waiting for your review.")
        return next_url or reverse("admin:agent_expense_changelist")

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
