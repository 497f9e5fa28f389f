"""Retention of receipts: an expense's receipt is kept for the bookkeeping retention period, then
deleted. Registered in settings.RETENTION_PURGES and run with the channel's purges (beat, daily;
`manage.py purge_retention`).

The period is RETENTION_RECEIPT_YEARS full calendar years after the year of the expense (as
bookkeeping law counts it: a receipt of 2015 is kept to the end of 2025). The expense itself stays;
it says when its receipt was removed.
"""

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agent.models import Expense

BATCH = 500


def receipts_purge(*, now: datetime, dry_run: bool) -> list[tuple[str, int]]:
    years = settings.RETENTION_RECEIPT_YEARS
    kept_from = date(timezone.localtime(now).year - years, 1, 1)
    label = f"expense receipts of {kept_from.year - 1} and earlier (kept {years} full years after their year)"
    expenses = Expense.objects.filter(spent_on__lt=kept_from, receipt_removed_at__isnull=True).exclude(receipt="")
    if dry_run:
        return [(label, expenses.count())]
    storage = Expense._meta.get_field("receipt").storage
    removed = 0
    while batch := list(expenses.order_by("pk").values_list("pk", "receipt")[:BATCH]):
        with transaction.atomic():
            Expense.objects.filter(pk__in=[pk for pk, _ in batch]).update(receipt="", receipt_removed_at=now)
            files = [name for _, name in batch]
            transaction.on_commit(lambda files=files: [storage.delete(name) for name in files])
        removed += len(batch)
    return [(label, removed)]
