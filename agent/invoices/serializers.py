"""Invoice lines as the API and the assistant's tools give and show them (amounts as strings)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agent.invoices.models import InvoiceLine, Unit
from agent.tools.fields import AmountField, TaxRateField


class LineInputSerializer(serializers.Serializer):
    """One line of a new invoice; agent.invoices.lines checks it as a whole."""

    description = serializers.CharField(max_length=500)
    quantity = AmountField(required=False, help_text="Default 1; up to four decimals.")
    unit = serializers.CharField(required=False, max_length=20,
                                 help_text="UN/ECE code or name: " + ", ".join(f"{c} ({n})" for c, n in Unit.choices))
    unit_price = AmountField(help_text="Net price of one unit, before tax, e.g. \"85.00\".")
    tax_rate = TaxRateField(required=False, help_text="e.g. \"19%\" or 0.07; omit for the default rate.")


class LineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["position", "description", "quantity", "unit", "unit_price", "tax_rate", "net_amount"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.OBJECT)
class TaxBreakdownField(serializers.Field):
    """[{"rate", "net", "tax"}] per tax rate, amounts as strings."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, invoice):
        from agent.invoices.lines import totals_of

        return [{"rate": str(r.rate), "net": str(r.net), "tax": str(r.tax)} for r in totals_of(invoice.lines.all()).by_rate]
