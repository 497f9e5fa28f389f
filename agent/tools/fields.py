"""Serializer fields for what models write: amounts as "1.234,50" or 12.5, rates as "19%"."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agent.amounts import parse_decimal, parse_tax_rate
from agent.errors import ApplicationError
from agent.invoices.models import Unit
from agent.models import Expense
from agent.periods import PERIODS


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


class ListedChoiceField(serializers.ChoiceField):
    """Choices the system prompt lists once (agent.prompt), so no tool schema repeats them."""


class CategoryField(ListedChoiceField):
    CHOICES = Expense.Category.values

    def __init__(self, **kwargs):
        super().__init__(choices=Expense.Category.choices, **kwargs)


class PeriodField(ListedChoiceField):
    CHOICES = list(PERIODS)

    def __init__(self, **kwargs):
        super().__init__(choices=list(PERIODS), **kwargs)


class AmountsSerializer(serializers.Serializer):
    """Net, tax rate and gross (any two give the third) and the currency, shared by the tools
    that record money. What they mean is said once, in the system prompt."""

    gross = AmountField(required=False)
    net = AmountField(required=False)
    tax_rate = TaxRateField(required=False)
    currency = serializers.CharField(required=False, min_length=3, max_length=3)

    def validate(self, attrs):
        if attrs.get("gross") is None and attrs.get("net") is None:
            raise serializers.ValidationError("Give the amount: gross (with tax) or net.")
        return attrs


class LineInputSerializer(serializers.Serializer):
    """One line of a new invoice; agent.invoices.lines checks it as a whole."""

    description = serializers.CharField(max_length=500)
    quantity = AmountField(required=False, help_text="default 1")
    unit = serializers.CharField(required=False, max_length=20,
                                 help_text="UN/ECE code: " + ",".join(Unit.values))
    unit_price = AmountField(help_text="net")
    tax_rate = TaxRateField(required=False)
