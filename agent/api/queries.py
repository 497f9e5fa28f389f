"""The query parameters of the API's lists, checked before anything is read: a wrong or repeated
one answers 400 naming it (never silently ignored), and the schema documents each (extend_schema)."""

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from agent.models import Expense
from agent.selectors import INVOICE_STATES

MAX_PAGE_SIZE = 200


class ListQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, required=False, help_text="The page, from 1.")
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False,
                                         help_text=f"Records per page, at most {MAX_PAGE_SIZE}.")

    @classmethod
    def validated(cls, request) -> dict:
        """The request's parameters this query knows, validated; ValidationError (400) otherwise."""
        params, names = request.query_params, list(cls().fields)
        repeated = {name: ["Give this parameter once."] for name in names if len(params.getlist(name)) > 1}
        if repeated:
            raise ValidationError(repeated)
        query = cls(data={name: params[name] for name in names if name in params})
        query.is_valid(raise_exception=True)
        return query.validated_data


class ExpenseQuery(ListQuery):
    status = serializers.ChoiceField(choices=Expense.Status.choices, required=False)
    category = serializers.ChoiceField(choices=Expense.Category.choices, required=False)
    person = serializers.IntegerField(required=False, help_text="Managers: one person's expenses (their id).")
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class InvoiceQuery(ListQuery):
    state = serializers.ChoiceField(choices=INVOICE_STATES, required=False, default="all")
    customer = serializers.IntegerField(required=False, help_text="One customer's invoices (their id).")
