"""What an invoice needs to be issued: the business profile and a customer with an address."""

from agent.invoices.profile import business_profile
from tests.agent.factories import customer

PROFILE = {"legal_name": "Ortega Plumbing GmbH", "address_line1": "Hafenstraße 12", "postcode": "20457",
           "city": "Hamburg", "country_code": "DE", "vat_id": "DE123456789", "iban": "DE89370400440532013000",
           "bic": "COBADEFFXXX", "bank_name": "Commerzbank", "payment_terms": "Payable within 14 days."}


def complete_profile():
    row = business_profile()
    for name, value in PROFILE.items():
        setattr(row, name, value)
    row.save()
    return row


def addressed_customer(*, company_name: str = "Harbor Street Café", **fields):
    address = {"address": "Elbchaussee 5", "postal_code": "22765", "city": "Hamburg", "country_code": "DE",
               "vat_id": "DE987654321"}
    return customer(company_name=company_name, **{**address, **fields})
