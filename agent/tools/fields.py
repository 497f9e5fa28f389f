"""Serializer fields for what models write: amounts as "1.234,50" or 12.5, rates as "19%"."""

from rest_framework import serializers

from agent.amounts import parse_decimal, parse_tax_rate
from agent.errors import ApplicationError


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
