"""Revenue tools (staff and managers)."""

from rest_framework import serializers

from agent import selectors, services
from agent.tools.fields import AmountsSerializer
from agent.tools.registry import STAFF, ToolContext, tool
from agent.tools.serialize import revenue_json, totals_json

LIST_LIMIT = 25


class RecordRevenue(AmountsSerializer):
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    customer_id = serializers.IntegerField(required=False, help_text="From find_customer or add_customer.")
    received_on = serializers.DateField(required=False, help_text="YYYY-MM-DD; omit for today.")


@tool("record_revenue", roles=STAFF, serializer=RecordRevenue)
def record_revenue(ctx: ToolContext, args: dict) -> dict:
    """Record money the business received (optionally from a customer)."""
    revenue = services.revenue_record(user=ctx.user, source_message=ctx.message, **args)
    return {"saved": revenue_json(revenue)}


class ListRevenue(serializers.Serializer):
    period = serializers.ChoiceField(choices=list(selectors.PERIODS), required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    customer_id = serializers.IntegerField(required=False)
    text = serializers.CharField(required=False)


@tool("list_revenue", roles=STAFF, serializer=ListRevenue)
def list_revenue(ctx: ToolContext, args: dict) -> dict:
    """List revenue with filters (named period or date range, customer, text) and totals."""
    revenue = selectors.revenue_list(user=ctx.user, filters=selectors.RevenueFilters(**args))
    rows = [revenue_json(r) for r in revenue.select_related("customer").order_by("-received_on", "-id")[:LIST_LIMIT]]
    totals = totals_json(selectors.revenue_totals(revenue))
    return {"revenue": rows, "totals": totals, "shown": len(rows)}


class ProfitSummary(serializers.Serializer):
    period = serializers.ChoiceField(choices=list(selectors.PERIODS), required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


@tool("profit_summary", roles=STAFF, serializer=ProfitSummary)
def profit_summary(ctx: ToolContext, args: dict) -> dict:
    """Revenue minus expenses for a period (default: this month), per currency."""
    period = args.get("period") or ("this month" if not (args.get("date_from") or args.get("date_to")) else None)
    if period:
        date_from, date_to = selectors.period_range(period, ctx.today)
    else:
        date_from, date_to = args.get("date_from"), args.get("date_to")
    summary = selectors.profit_summary(user=ctx.user, date_from=date_from, date_to=date_to)
    # selectors.profit_summary answers {currency: {...}}, not rows: shape it for the model here.
    per_currency = {currency: {k: str(v) for k, v in entry.items()} for currency, entry in summary.items()}
    return {"date_from": str(date_from), "date_to": str(date_to), "summary": per_currency}
