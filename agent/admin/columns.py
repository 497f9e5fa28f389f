"""Columns the admin lists share."""

from django.contrib import admin
from django.utils.html import format_html

from config.display import money


def amount_cell(amount, currency: str) -> str:
    """An amount with its currency, on one line ("EUR 1,190.00")."""
    return format_html('<span class="amount">{}</span>', money(amount, currency))


class AmountColumns:
    """For the admin of a model with `net`, `gross` and `currency`: "net_amount" and "gross_amount"
    columns with the currency in each (so the list needs no currency column of its own)."""

    @admin.display(description="Net", ordering="net")
    def net_amount(self, obj):
        return amount_cell(obj.net, obj.currency)

    @admin.display(description="Gross", ordering="gross")
    def gross_amount(self, obj):
        return amount_cell(obj.gross, obj.currency)
