"""Columns of the admin's lists that show a record's money: the amount with its currency, as
everywhere else (config.display.money), in one column instead of two."""

from django.contrib import admin

from config.display import money


def money_column(field: str, description: str, *, sortable: bool = True):
    """A list column (a ModelAdmin method) showing `field` of a record that has a `currency`."""

    @admin.display(description=description, ordering=field if sortable else None)
    def column(model_admin, obj):
        return money(getattr(obj, field), obj.currency)

    column.__name__ = f"{field}_amount"
    return column
