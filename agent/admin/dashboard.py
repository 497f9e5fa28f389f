"""The managers' dashboard at /admin/dashboard/ (staff with agent.view_dashboard): a page of the admin
site named in settings.ADMIN_PAGES, which also lists it in the menu."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse

from agent import reports
from agent.admin.charts import bar_chart, grouped_bar_chart

DASHBOARD_PERMISSION = "agent.view_dashboard"


@staff_member_required
def dashboard_view(request):
    if not request.user.has_perm(DASHBOARD_PERMISSION):
        raise PermissionDenied
    data = reports.dashboard(request.GET.get("period"))
    charts = []
    currencies = sorted(set(data["spend_by_category"]) | set(data["monthly"]))
    for currency in currencies:
        months = data["monthly"].get(currency, [])
        charts.append({
            "currency": currency,
            "by_category": bar_chart(data["spend_by_category"].get(currency, []),
                                     title=f"Spend by category ({currency}, gross)", unit=currency),
            "by_month": bar_chart([(m["label"], m["spend"]) for m in months],
                                  title=f"Spend by month ({currency}, gross)", unit=currency),
            "profit": grouped_bar_chart(
                [(m["label"][:3] if len(months) > 6 else m["label"], [m["revenue_net"], m["expenses_net"], m["profit"]])
                 for m in months],
                ["Revenue (net)", "Expenses (net)", "Profit"],
                title=f"Revenue against expenses by month ({currency})", unit=currency),
            "months": months,
        })
    context = {
        **admin.site.each_context(request), **data, "title": "Dashboard", "charts": charts,
        "period_choices": reports.PERIOD_CHOICES,
        "pending_url": reverse("admin:agent_expense_changelist") + "?status__exact=pending",
        "overdue_url": reverse("admin:agent_invoice_changelist") + "?overdue=yes",
    }
    return TemplateResponse(request, "admin/agent/dashboard.html", context)
