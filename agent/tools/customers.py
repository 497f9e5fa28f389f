"""Customer tools (staff and managers)."""

from rest_framework import serializers

from agent import selectors, services
from agent.tools.registry import STAFF, ToolContext, tool
from agent.tools.results import page
from agent.tools.serialize import customer_json


class AddCustomer(serializers.Serializer):
    company_name = serializers.CharField(max_length=200)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    email = serializers.EmailField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    city = serializers.CharField(required=False, allow_blank=True, max_length=100)
    postal_code = serializers.CharField(required=False, allow_blank=True, max_length=20)
    country = serializers.CharField(required=False, allow_blank=True, max_length=100)
    country_code = serializers.CharField(required=False, allow_blank=True, max_length=2, help_text="ISO, e.g. DE")
    vat_id = serializers.CharField(required=False, allow_blank=True, max_length=32)


@tool("add_customer", roles=STAFF, serializer=AddCustomer)
def add_customer(ctx: ToolContext, args: dict) -> dict:
    """Add a customer (find_customer first)."""
    return {"saved": customer_json(services.customer_add(user=ctx.user, **args))}


class FindCustomer(serializers.Serializer):
    query = serializers.CharField(help_text="name, email or phone")
    offset = serializers.IntegerField(required=False, default=0, min_value=0)


@tool("find_customer", roles=STAFF, serializer=FindCustomer)
def find_customer(ctx: ToolContext, args: dict) -> dict:
    """Find customers."""
    customers = selectors.customer_find(user=ctx.user, query=args["query"])
    return page(customers, key="customers", offset=args["offset"], to_json=customer_json)
