"""The figures of the manager dashboard, for a period: spend by category and by month, revenue
against expenses by month (profit), pending reviews, overdue invoices, tax collected and paid.

Expenses count unless rejected (pending is still money spent), as in selectors.profit_summary.
Amounts are per currency; each chart is for one currency.
"""

from calendar import monthrange
from datetime import date
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from agent.models import Expense, Invoice, Revenue
from agent.periods import period_range
from agent.selectors import expense_totals, invoice_totals, revenue_totals
from config.display import month as month_shown
from config.display import round_cents

PERIOD_CHOICES = (
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_year", "This year"),
    ("last_12_months", "Last 12 months"),
)
DEFAULT_PERIOD = "this_month"
ZERO = Decimal("0.00")


def dashboard_period(key: str | None, today: date | None = None) -> tuple[str, date, date]:
    """(key, first day, last day) of a dashboard period; unknown keys fall back to this month."""
    today = today or timezone.localdate()
    key = key if key in dict(PERIOD_CHOICES) else DEFAULT_PERIOD
    if key == "last_12_months":
        year, month = today.year, today.month - 11
        if month < 1:
            year, month = year - 1, month + 12
        return key, date(year, month, 1), date(today.year, today.month, monthrange(today.year, today.month)[1])
    start, end = period_range(key.replace("_", " "), today)
    return key, start, end


def months_between(start: date, end: date) -> list[date]:
    months, current = [], date(start.year, start.month, 1)
    while current <= end:
        months.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def counted_expenses(start: date, end: date):
    return Expense.objects.exclude(status=Expense.Status.REJECTED).filter(spent_on__gte=start, spent_on__lte=end)


def period_revenue(start: date, end: date):
    return Revenue.objects.filter(received_on__gte=start, received_on__lte=end)


def spend_by_category(start: date, end: date) -> dict[str, list[tuple[str, Decimal]]]:
    """{currency: [(category label, gross)]}, largest first."""
    labels = dict(Expense.Category.choices)
    rows = (counted_expenses(start, end).order_by().values("currency", "category")
            .annotate(gross=Sum("gross")).order_by("currency", "-gross", "category"))
    result: dict[str, list] = {}
    for row in rows:
        result.setdefault(row["currency"], []).append((labels.get(row["category"], row["category"]),
                                                       round_cents(row["gross"])))
    return result


def _by_month(records, date_field: str) -> dict[tuple[str, date], dict]:
    """{(currency, first of the month): {"gross", "net", "count"}}, sums in cents (SQLite's SUM of a
    decimal column comes back with fifteen digits)."""
    rows = (records.order_by().annotate(month=TruncMonth(date_field)).values("currency", "month")
            .annotate(gross=Sum("gross"), net=Sum("net"), count=Count("id")))
    return {(row["currency"], date(row["month"].year, row["month"].month, 1)):
            {"gross": round_cents(row["gross"]), "net": round_cents(row["net"]), "count": row["count"]}
            for row in rows}


def monthly(start: date, end: date) -> dict[str, list[dict]]:
    """{currency: [{"month", "label", "spend", "revenue_net", "expenses_net", "profit"}]} for every month
    of the period (spend is gross, profit is net revenue minus net expenses)."""
    expenses = _by_month(counted_expenses(start, end), "spent_on")
    revenue = _by_month(period_revenue(start, end), "received_on")
    currencies = sorted({c for c, _ in expenses} | {c for c, _ in revenue})
    result = {}
    for currency in currencies:
        rows = []
        for month in months_between(start, end):
            e, r = expenses.get((currency, month), {}), revenue.get((currency, month), {})
            expenses_net, revenue_net = e.get("net") or ZERO, r.get("net") or ZERO
            rows.append({"month": month, "label": month_shown(month), "spend": e.get("gross") or ZERO,
                         "revenue_net": revenue_net, "expenses_net": expenses_net,
                         "profit": revenue_net - expenses_net})
        result[currency] = rows
    return result


def tax_summary(start: date, end: date) -> list[dict]:
    """[{"currency", "collected", "paid", "balance"}]: tax on revenue (gross - net) and on expenses
    that are not rejected."""
    collected = {row["currency"]: row["tax"] for row in revenue_totals(period_revenue(start, end))}
    paid = {row["currency"]: row["tax"] for row in expense_totals(counted_expenses(start, end))}
    return [{"currency": c, "collected": collected.get(c, ZERO), "paid": paid.get(c, ZERO),
             "balance": collected.get(c, ZERO) - paid.get(c, ZERO)} for c in sorted(set(collected) | set(paid))]


def dashboard(period: str | None = None, today: date | None = None) -> dict:
    key, start, end = dashboard_period(period, today)
    overdue = Invoice.objects.overdue(today)
    return {
        "period": key, "start": start, "end": end,
        "spend_by_category": spend_by_category(start, end),
        "monthly": monthly(start, end),
        "expense_totals": expense_totals(counted_expenses(start, end)),
        "revenue_totals": revenue_totals(period_revenue(start, end)),
        "tax": tax_summary(start, end),
        "pending_count": Expense.objects.filter(status=Expense.Status.PENDING).count(),
        "overdue_count": overdue.count(),
        "overdue_totals": invoice_totals(overdue),
    }
