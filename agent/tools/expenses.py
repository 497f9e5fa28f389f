"""Expense tools. Staff see and change only their own; managers see everyone's and review."""

from rest_framework import serializers

from agent import selectors, services
from agent.errors import ApplicationError
from agent.models import Expense
from agent.tools.fields import AmountField, AmountsSerializer, CategoryField, PeriodField, TaxRateField
from agent.tools.registry import MANAGERS, STAFF, ToolContext, tool
from agent.tools.results import page
from agent.tools.serialize import QUESTION_TEXT_LIMIT, expense_json, person_name, quoted, totals_json, typed



class RecordExpense(AmountsSerializer):
    category = CategoryField()
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    merchant = serializers.CharField(required=False, allow_blank=True, max_length=200)
    spent_on = serializers.DateField(required=False)
    receipt_from_earlier_message = serializers.BooleanField(
        required=False, default=False, help_text="the receipt photo/PDF came in an earlier message")


@tool("record_expense", roles=STAFF, serializer=RecordExpense)
def record_expense(ctx: ToolContext, args: dict) -> dict:
    """Record an expense paid for the business; a photo/PDF in this message is its receipt."""
    earlier = args.pop("receipt_from_earlier_message", False)
    source = ctx.message
    receipt = _receipt_of(ctx.message)
    if receipt is None and earlier and ctx.message is not None:
        # Only this person's own chat, and only a receipt no expense has yet.
        photo = selectors.receipt_message_unattached(user=ctx.user, conversation=ctx.conversation,
                                                     before=ctx.message)
        if photo is not None:
            receipt, source = _receipt_of(photo), photo
    expense = services.expense_record(user=ctx.user, source_message=source, receipt=receipt, **args)
    return {"saved": expense_json(expense)}


def _receipt_of(message):
    if message is None or message.type not in ("image", "document") or not message.media_file:
        return None
    message.media_file.open("rb")
    try:
        return (message.media_file.name.rsplit("/", 1)[-1], message.media_file.read())
    finally:
        message.media_file.close()


class ListExpenses(serializers.Serializer):
    period = PeriodField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    category = CategoryField(required=False)
    status = serializers.ChoiceField(choices=Expense.Status.choices, required=False)
    text = serializers.CharField(required=False, help_text="in merchant or description")
    amount_min = AmountField(required=False, help_text="gross")
    amount_max = AmountField(required=False, help_text="gross")
    person = serializers.CharField(required=False, help_text="managers: name or phone")


class ListExpensesPage(ListExpenses):
    group_by = serializers.ChoiceField(choices=list(selectors.SUMMARY_GROUPS), required=False,
                                       help_text="totals per group instead of rows")
    offset = serializers.IntegerField(required=False, default=0, min_value=0)


def _filters(ctx: ToolContext, args: dict) -> selectors.ExpenseFilters:
    person = args.pop("person", None)
    submitted_by_id = None
    if person:
        if ctx.user.role != "manager":
            raise ApplicationError("You can only see your own expenses.")
        submitted_by_id = selectors.person_find(query=person).pk
    return selectors.ExpenseFilters(submitted_by_id=submitted_by_id, **args)


@tool("list_expenses", roles=STAFF, serializer=ListExpensesPage)
def list_expenses(ctx: ToolContext, args: dict) -> dict:
    """Expenses matching the filters and their totals; or, with group_by, totals per category,
    month or (managers) person."""
    offset = args.pop("offset", 0)
    group_by = args.pop("group_by", None)
    if group_by:
        return _summary(ctx, args, group_by)
    expenses = selectors.expense_list(user=ctx.user, filters=_filters(ctx, args))
    rows = page(expenses.select_related("submitted_by").order_by("-spent_on", "-id"), key="expenses",
                offset=offset, to_json=expense_json)
    totals = totals_json(selectors.expense_totals(expenses))
    return {**rows, "totals": totals, "count": sum(t["count"] for t in totals)}


def _summary(ctx: ToolContext, args: dict, group_by: str) -> dict:
    rows = selectors.expense_summary(user=ctx.user, filters=_filters(ctx, args), group_by=group_by)
    if group_by == "person":
        rows = [{**row, "label": typed(row["label"])} for row in rows]  # a person's name: typed text
    return {"group_by": group_by, "rows": totals_json(rows)}


class UpdateExpense(serializers.Serializer):
    expense_id = serializers.IntegerField()
    gross = AmountField(required=False)
    net = AmountField(required=False)
    tax_rate = TaxRateField(required=False)
    currency = serializers.CharField(required=False, min_length=3, max_length=3)
    category = CategoryField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    merchant = serializers.CharField(required=False, allow_blank=True, max_length=200)
    spent_on = serializers.DateField(required=False)


def _what(expense: Expense) -> str:
    """An expense as a question names it: only what the business generated, no typed text."""
    return (f"expense #{expense.pk} ({expense.currency} {expense.gross}, {expense.category}, "
            f"{expense.spent_on:%Y-%m-%d})")


def _changeable(ctx: ToolContext, expense_id, action: str) -> Expense:
    expense = selectors.expense_get(user=ctx.user, expense_id=expense_id)
    services.expense_check_changeable(user=ctx.user, expense=expense, action=action)
    return expense


def _ask_update(ctx: ToolContext, args: dict) -> str:
    expense = _changeable(ctx, args.pop("expense_id"), "change")
    changes = [f"{name.replace('_', ' ')} to "
               f"{quoted(value, limit=QUESTION_TEXT_LIMIT) if name in ('description', 'merchant') else value}"
               for name, value in args.items() if value is not None]
    if not changes:
        raise ApplicationError("Nothing to change: name what should change.")
    return f"Change {_what(expense)}: {', '.join(changes)}?"


@tool("update_expense", roles=STAFF, serializer=UpdateExpense, asks=_ask_update)
def update_expense(ctx: ToolContext, args: dict) -> dict:
    """Change one of the person's own pending expenses (asks them Yes/No)."""
    expense_id = args.pop("expense_id")
    expense = services.expense_update(user=ctx.user, expense_id=expense_id, **args)
    return {"saved": expense_json(expense),
            "summary": f"Changed expense #{expense.pk}: {expense.currency} {expense.gross} (net {expense.net}, "
                       f"tax {expense.tax}), {expense.category}, {expense.spent_on:%Y-%m-%d}."}


class DeleteExpense(serializers.Serializer):
    expense_id = serializers.IntegerField()


def _ask_delete(ctx: ToolContext, args: dict) -> str:
    expense = _changeable(ctx, args["expense_id"], "delete")
    return f"Delete {_what(expense)}?"


@tool("delete_expense", roles=STAFF, serializer=DeleteExpense, asks=_ask_delete)
def delete_expense(ctx: ToolContext, args: dict) -> dict:
    """Delete one of the person's own pending expenses (asks them Yes/No)."""
    expense = selectors.expense_get(user=ctx.user, expense_id=args["expense_id"])
    services.expense_delete(user=ctx.user, expense_id=expense.pk)
    return {"deleted": expense.pk, "summary": f"Deleted expense #{expense.pk} ({expense.currency} {expense.gross})."}


class ReviewExpense(serializers.Serializer):
    expense_id = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


def _ask_review(ctx: ToolContext, args: dict) -> str:
    expense = selectors.expense_get(user=ctx.user, expense_id=args["expense_id"])
    services.expense_check_reviewable(reviewer=ctx.user, expense=expense)
    submitter = person_name(expense.submitted_by, in_question=True)
    question = f"{args['decision'].capitalize()} {_what(expense)} of {submitter}?"
    if args.get("note"):
        question += f" Note: {quoted(args['note'], limit=QUESTION_TEXT_LIMIT)}"
    return question


@tool("review_expense", roles=MANAGERS, serializer=ReviewExpense, asks=_ask_review)
def review_expense(ctx: ToolContext, args: dict) -> dict:
    """Approve or reject someone's expense (asks Yes/No; the submitter is told)."""
    expense = services.expense_review(reviewer=ctx.user, expense_id=args["expense_id"],
                                      approve=args["decision"] == "approve", note=args.get("note", ""))
    told = "" if expense.self_reviewed else "; the submitter was told on WhatsApp"
    return {"reviewed": expense_json(expense), "summary": f"Expense #{expense.pk} {expense.status}{told}."}
