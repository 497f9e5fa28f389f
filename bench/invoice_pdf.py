#!/usr/bin/env python
"""How long issuing an invoice's document takes: the PDF/A-3 with its Factur-X XML inside.

    .venv/bin/python bench/invoice_pdf.py            # 100 timed renders after 10 untimed ones
    .venv/bin/python bench/invoice_pdf.py -n 300

What it does: Django on a SQLite file in a temporary directory, a business profile and a customer
with every field an invoice needs, one invoice of 5 lines at two tax rates, then
`agent.invoices.document.invoice_pdf` called repeatedly, as sending and the download views call it:
the issue check, the EN 16931 XML built and checked against its schema, the page drawn from
templates/invoices/invoice.html by xhtml2pdf, the sRGB output intent and the XML embedded with its
XMP metadata. Printed: p50, p90 and max of the wall time, and the PDF's size. Target: p50 under
200 ms on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--renders", type=int, default=100, help="timed renders (default 100)")
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench_invoice_")
    os.environ.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "0",
                       "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3", "MEDIA_ROOT": f"{workdir}/media"})
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)  # factur-x logs every file it makes

    from django.core.management import call_command

    from accounts.models import User
    from agent import services
    from agent.invoices.document import invoice_pdf
    from agent.invoices.profile import business_profile

    try:
        call_command("migrate", verbosity=0)
        manager = User.objects.create_user(username="maria", role=User.Role.MANAGER)
        profile = business_profile()
        for name, value in {"legal_name": "Ortega Plumbing GmbH", "address_line1": "Hafenstraße 12",
                            "postcode": "20457", "city": "Hamburg", "country_code": "DE", "vat_id": "DE123456789",
                            "iban": "DE89370400440532013000", "bic": "COBADEFFXXX",
                            "payment_terms": "Payable within 14 days."}.items():
            setattr(profile, name, value)
        profile.save()
        customer = services.customer_add(user=manager, company_name="Harbor Street Café", address="Elbchaussee 5",
                                         postal_code="22765", city="Hamburg", country_code="DE")
        invoice = services.invoice_create(user=manager, customer_id=customer.pk, lines=[
            {"description": "Walk-in cooler repair", "quantity": "3.5", "unit": "hour", "unit_price": "85"},
            {"description": "Replacement compressor", "unit_price": "412.30"},
            {"description": "Cleaning agent", "quantity": "2", "unit": "l", "unit_price": "7.495", "tax_rate": "7%"},
            {"description": "Travel", "quantity": "24", "unit": "km", "unit_price": "0.30"},
            {"description": "Disposal of old parts", "unit": "LS", "unit_price": "25"},
        ])
        for _ in range(args.warmup):
            invoice_pdf(invoice=invoice)
        times, size = [], 0
        for _ in range(args.renders):
            started = time.perf_counter()
            size = len(invoice_pdf(invoice=invoice))
            times.append((time.perf_counter() - started) * 1000)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"invoice PDF/A-3 with Factur-X XML, 5 lines, {args.renders} renders: "
          f"p50 {percentile(times, 50):.1f} ms, p90 {percentile(times, 90):.1f} ms, max {max(times):.1f} ms, "
          f"mean {statistics.mean(times):.1f} ms, {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
