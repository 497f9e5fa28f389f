"""Invoice lines as the API shows them (amounts as strings); new lines come in through
agent.tools.fields.LineInputSerializer, shared with the assistant's tools."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agent.invoices.lines import totals_of
from agent.invoices.models import InvoiceLine


class LineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["position", "description", "quantity", "unit", "unit_price", "tax_rate", "net_amount"]
        read_only_fields = fields


@extend_schema_field({"type": "array", "readOnly": True, "items": {
    "type": "object", "required": ["rate", "net", "tax"],
    "properties": {"rate": {"type": "string", "format": "decimal"}, "net": {"type": "string", "format": "decimal"},
                   "tax": {"type": "string", "format": "decimal"}}}})
class TaxBreakdownField(serializers.Field):
    """[{"rate", "net", "tax"}] per tax rate, amounts as strings."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, invoice):
        return [{"rate": str(r.rate), "net": str(r.net), "tax": str(r.tax)} for r in totals_of(invoice.lines.all()).by_rate]
