"""Records as the model sees them: plain JSON, amounts as strings (Decimal, never float)."""


def _amounts(record) -> dict:
    return {"net": str(record.net), "tax_rate": str(record.tax_rate), "tax": str(record.gross - record.net),
            "gross": str(record.gross), "currency": record.currency}


def expense_json(e) -> dict:
    return {"id": e.pk, "date": e.spent_on.isoformat(), "category": e.category, "description": e.description,
            "merchant": e.merchant, **_amounts(e), "status": e.status,
            "submitted_by": e.submitted_by.get_full_name() or e.submitted_by.username,
            "review_note": e.review_note, "has_receipt": bool(e.receipt)}


def revenue_json(r) -> dict:
    return {"id": r.pk, "date": r.received_on.isoformat(), "description": r.description,
            "customer": str(r.customer) if r.customer_id else None, **_amounts(r)}


def customer_json(c) -> dict:
    return {"id": c.pk, "company_name": c.company_name, "contact_name": c.contact_name, "phone": c.phone,
            "email": c.email, "address": c.address, "city": c.city, "postal_code": c.postal_code,
            "country": c.country}


def invoice_json(i) -> dict:
    return {"id": i.pk, "number": i.number, "customer": str(i.customer), "customer_id": i.customer_id,
            "description": i.description, **_amounts(i), "issued_on": i.issued_on.isoformat(),
            "due_on": i.due_on.isoformat(), "status": i.status, "overdue": i.is_overdue,
            "paid_on": i.paid_on.isoformat() if i.paid_on else None}


def totals_json(rows) -> list[dict]:
    return [{k: (str(v) if k not in ("count", "currency") else v) for k, v in row.items()} for row in rows]
