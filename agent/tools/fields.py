"""Serializer fields for what models write: amounts as "1.234,50" or 12.5, rates as "19%"."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agent.amounts import parse_decimal, parse_tax_rate
from agent.errors import ApplicationError
from agent.invoices.models import Unit


@extend_schema_field(OpenApiTypes.STR)
class AmountField(serializers.Field):
    default_error_messages = {"invalid": "{detail}"}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid", detail="An amount must be a number like 42.50.")
        try:
            return parse_decimal(data)
        except ApplicationError as exc:
            self.fail("invalid", detail=str(exc))

    def to_representation(self, value):
        return str(value)


class TaxRateField(AmountField):
    def to_internal_value(self, data):
        try:
            return parse_tax_rate(data)
        except ApplicationError as exc:
            self.fail("invalid", detail=str(exc))


class AmountsSerializer(serializers.Serializer):
    """Net, tax rate and gross (any two give the third) and the currency, shared by the tools
    that record money."""

    gross = AmountField(required=False, help_text="Amount with tax included, e.g. \"42.50\".")
    net = AmountField(required=False, help_text="Amount before tax, if the person gave that instead.")
    tax_rate = TaxRateField(required=False, help_text="e.g. 0.19 or \"19%\"; omit for the default rate.")
    currency = serializers.CharField(required=False, min_length=3, max_length=3, help_text="ISO 4217, e.g. EUR.")

    def validate(self, attrs):
        if attrs.get("gross") is None and attrs.get("net") is None:
            raise serializers.ValidationError("Give the amount: gross (with tax) or net.")
        return attrs


class LineInputSerializer(serializers.Serializer):
    """One line of a new invoice; agent.invoices.lines checks it as a whole."""

    description = serializers.CharField(max_length=500)
    quantity = AmountField(required=False, help_text="Default 1; up to four decimals.")
    unit = serializers.CharField(required=False, max_length=20,
                                 help_text="UN/ECE code or name: " + ", ".join(f"{c} ({n})" for c, n in Unit.choices))
    unit_price = AmountField(help_text="Net price of one unit, before tax, e.g. \"85.00\".")
    tax_rate = TaxRateField(required=False, help_text="e.g. \"19%\" or 0.07; omit for the default rate.")
