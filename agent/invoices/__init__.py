"""Invoices as documents: line items and their totals (lines), the business's own details (profile),
the PDF with its embedded Factur-X e-invoice (document, pdf, facturx), and e-invoices people send in
(incoming: reading them, pure; receive: turning one into an expense).

Sending a document needs only `agent.invoices.document.invoice_pdf(invoice=...)` and
`invoice_pdf_filename(invoice)`.
"""
