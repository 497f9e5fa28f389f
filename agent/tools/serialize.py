"""Records as the model sees them: plain JSON, amounts as strings (Decimal, never float).

Whatever a person typed (a description, a merchant, a note, a name) may have been written by
someone other than the person the model serves, so it reaches the model only as data: through
`typed`, capped and between ⟦ and ⟧, which the system prompt tells the model never to obey.
"""

OPEN, CLOSE = "⟦", "⟧"
TEXT_LIMIT = 200  # characters of one typed field the model reads


def typed(value, *, limit: int = TEXT_LIMIT) -> str:
    """Text a person typed, as the model reads it: on one line, at most `limit` characters, between
    ⟦ and ⟧. The markers are taken out of the text itself, so it cannot close its own quote."""
    text = " ".join(str(value or "").replace(OPEN, "").replace(CLOSE, "").split())
    if not text:
        return ""
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return f"{OPEN}{text}{CLOSE}"


# In a question the code writes (agent.confirmations), typed text is short and between “ and ”, so
# it reads as a quote and cannot pass for the code's own words.
QUESTION_NAME_LIMIT = 40
QUESTION_TEXT_LIMIT = 80
_QUOTE_MARKS = str.maketrans("", "", "“”„\"")


def quoted(value, *, limit: int = QUESTION_NAME_LIMIT) -> str:
    """Text a person typed, as a question the code writes shows it: at most `limit` characters between
    “ and ” (the quote marks taken out of the text itself), and between ⟦ and ⟧ for the model."""
    text = typed(str(value or "").translate(_QUOTE_MARKS), limit=limit)
    return f"{OPEN}“{text[1:-1]}”{CLOSE}" if text else ""


def untyped(text: str) -> str:
    """`text` with the markers taken out, as people read it (the model sometimes repeats them)."""
    return str(text or "").replace(OPEN, "").replace(CLOSE, "")


def _present(row: dict) -> dict:
    """A row without its empty fields (no text, no date, false): each costs the prompt tokens for nothing."""
    return {k: v for k, v in row.items() if not (v is None or v is False or v == "")}


def _amounts(record) -> dict:
    return {"net": str(record.net), "tax_rate": str(record.tax_rate), "tax": str(record.gross - record.net),
            "gross": str(record.gross), "currency": record.currency}


def person_name(user, *, in_question: bool = False) -> str:
    name = user.get_full_name() or user.username
    return quoted(name) if in_question else typed(name)


def expense_json(e) -> dict:
    return _present({
        "id": e.pk, "date": e.spent_on.isoformat(), "category": e.category, "description": typed(e.description),
        "merchant": typed(e.merchant), **_amounts(e), "status": e.status, "submitted_by": person_name(e.submitted_by),
        "review_note": typed(e.review_note), "self_reviewed": e.self_reviewed, "has_receipt": bool(e.receipt)})


def revenue_json(r) -> dict:
    return _present({
        "id": r.pk, "date": r.received_on.isoformat(), "description": typed(r.description),
        "customer": typed(r.customer) if r.customer_id else None, **_amounts(r)})


def customer_json(c) -> dict:
    return _present({
        "id": c.pk, "company_name": typed(c.company_name), "contact_name": typed(c.contact_name), "phone": c.phone,
        "email": typed(c.email), "address": typed(c.address), "city": typed(c.city),
        "postal_code": typed(c.postal_code), "country": typed(c.country), "country_code": c.country_code,
        "vat_id": typed(c.vat_id)})


def invoice_json(i) -> dict:
    return _present({
        "id": i.pk, "number": i.number, "customer": typed(i.customer), "customer_id": i.customer_id,
        "description": typed(i.description), **_amounts(i), "issued_on": i.issued_on.isoformat(),
        "due_on": i.due_on.isoformat(), "status": i.status, "overdue": i.is_overdue,
        "paid_on": i.paid_on.isoformat() if i.paid_on else None})


def totals_json(rows) -> list[dict]:
    return [{k: (str(v) if k not in ("count", "currency") else v) for k, v in row.items()} for row in rows]
