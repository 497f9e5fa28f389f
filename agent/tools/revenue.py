"""Revenue tools (staff and managers)."""

from rest_framework import serializers

from agent import selectors, services
from agent.tools.fields import AmountsSerializer, PeriodField
from agent.tools.registry import STAFF, ToolContext, tool
from agent.tools.results import page
from agent.tools.serialize import revenue_json, totals_json

class RecordRevenue(AmountsSerializer):
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    customer_id = serializers.IntegerField(required=False)
    received_on = serializers.DateField(required=False)


@tool("record_revenue", roles=STAFF, serializer=RecordRevenue)
def record_revenue(ctx: ToolContext, args: dict) -> dict:
    """Record money the business received."""
    revenue = services.revenue_record(user=ctx.user, source_message=ctx.message, **args)
    return {"saved": revenue_json(revenue)}


class ListRevenue(serializers.Serializer):
    period = PeriodField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    customer_id = serializers.IntegerField(required=False)
    text = serializers.CharField(required=False)
    offset = serializers.IntegerField(required=False, default=0, min_value=0)


@tool("list_revenue", roles=STAFF, serializer=ListRevenue)
def list_revenue(ctx: ToolContext, args: dict) -> dict:
    """Revenue matching the filters, and its totals."""
    offset = args.pop("offset", 0)
    revenue = selectors.revenue_list(user=ctx.user, filters=selectors.RevenueFilters(**args))
    rows = page(revenue.select_related("customer").order_by("-received_on", "-id"), key="revenue", offset=offset,
                to_json=revenue_json)
    return {**rows, "totals": totals_json(selectors.revenue_totals(revenue))}


class ProfitSummary(serializers.Serializer):
    period = PeriodField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


@tool("profit_summary", roles=STAFF, serializer=ProfitSummary)
def profit_summary(ctx: ToolContext, args: dict) -> dict:
    """Revenue minus expenses per currency (default: this month)."""
    period = args.get("period") or ("this month" if not (args.get("date_from") or args.get("date_to")) else None)
    if period:
        date_from, date_to = selectors.period_range(period, ctx.today)
    else:
        date_from, date_to = args.get("date_from"), args.get("date_to")
    summary = selectors.profit_summary(user=ctx.user, date_from=date_from, date_to=date_to)
    # selectors.profit_summary answers {currency: {...}}, not rows: shape it for the model here.
    per_currency = {currency: {k: str(v) for k, v in entry.items()} for currency, entry in summary.items()}
    return {"date_from": str(date_from), "date_to": str(date_to), "summary": per_currency}
