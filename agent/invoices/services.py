"""Storing an invoice's lines and the totals they make (agent.invoices.lines computes them)."""

from django.db import transaction

from agent.invoices.lines import Line, Totals, totals_of
from agent.invoices.models import InvoiceLine


def invoice_totals_apply(invoice, totals: Totals) -> None:
    """Put `totals` on the invoice's stored net, tax rate and gross (not saved)."""
    invoice.net, invoice.tax_rate, invoice.gross = totals.net, totals.tax_rate, totals.gross


@transaction.atomic
def invoice_lines_store(*, invoice, lines: list[Line]) -> list[InvoiceLine]:
    """Replace the lines of a saved invoice with `lines` (checked ones) and store their totals on it."""
    invoice.lines.all().delete()
    rows = InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, position=position, description=line.description, quantity=line.quantity,
                    unit=line.unit, unit_price=line.unit_price, tax_rate=line.tax_rate, net_amount=line.net_amount)
        for position, line in enumerate(lines, start=1)
    ])
    invoice_totals_apply(invoice, totals_of(lines))
    invoice.save(update_fields=["net", "tax_rate", "gross", "updated_at"])
    return rows


@transaction.atomic
def invoice_totals_refresh(*, invoice) -> Totals:
    """Recompute the stored line amounts and the invoice's totals from the lines in the database
    (after the admin saved its lines inline)."""
    rows = list(invoice.lines.order_by("position", "id"))
    for position, row in enumerate(rows, start=1):
        row.position = position
        row.net_amount = Line(description=row.description, quantity=row.quantity, unit=row.unit,
                              unit_price=row.unit_price, tax_rate=row.tax_rate).net_amount
    InvoiceLine.objects.bulk_update(rows, ["position", "net_amount"])
    totals = totals_of(rows)
    invoice_totals_apply(invoice, totals)
    invoice.save(update_fields=["net", "tax_rate", "gross", "updated_at"])
    return totals
