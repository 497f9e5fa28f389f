"""What the API shows and accepts. Amounts are strings (Decimal), never floats."""

from rest_framework import serializers

from agent.invoices.serializers import LineSerializer, TaxBreakdownField
from agent.models import Expense, Invoice
from agent.tools.fields import AmountsSerializer, LineInputSerializer
from whatsapp.models import Message


class ExpenseSerializer(serializers.ModelSerializer):
    submitted_by = serializers.CharField(source="submitted_by.get_full_name", read_only=True)
    submitted_by_id = serializers.IntegerField(read_only=True)
    tax = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Expense
        fields = ["id", "spent_on", "category", "description", "merchant", "net", "tax_rate", "tax", "gross",
                  "currency", "status", "submitted_by", "submitted_by_id", "reviewed_by", "reviewed_at",
                  "review_note", "self_reviewed", "created_at"]
        read_only_fields = fields


class ReviewSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class DeliverySerializer(serializers.ModelSerializer):
    """The WhatsApp message that sent an invoice's PDF, and how far it got (its ticks)."""

    message_id = serializers.IntegerField(source="pk", read_only=True)
    error = serializers.CharField(source="error_title", read_only=True)

    class Meta:
        model = Message
        fields = ["message_id", "type", "status", "sent_at", "delivered_at", "read_at", "failed_at", "error"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.company_name", read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    lines = LineSerializer(many=True, read_only=True)
    tax_by_rate = TaxBreakdownField()
    whatsapp = DeliverySerializer(source="sent_message", read_only=True, allow_null=True,
                                  help_text="Its PDF sent on WhatsApp: the message and its status (queued, held, "
                                            "sent, delivered, read, failed); null until sent.")

    class Meta:
        model = Invoice
        fields = ["id", "number", "customer", "customer_name", "description", "net", "tax_rate", "gross",
                  "currency", "issued_on", "supplied_on", "due_on", "status", "overdue", "paid_on", "lines",
                  "tax_by_rate", "whatsapp", "created_at"]
        read_only_fields = fields


class InvoiceCreateSerializer(AmountsSerializer):
    """Lines, or the one-amount form (a description with two of net, gross and tax rate, or one)."""

    customer_id = serializers.IntegerField()
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    lines = LineInputSerializer(many=True, required=False, help_text="The invoice's lines; instead of one amount.")
    issued_on = serializers.DateField(required=False)
    supplied_on = serializers.DateField(required=False, help_text="When supplied; omit for the issue date.")
    due_on = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=[Invoice.Status.DRAFT, Invoice.Status.SENT], default=Invoice.Status.SENT)

    def validate(self, attrs):
        if attrs.get("lines"):
            return attrs
        return super().validate(attrs)


class MarkPaidSerializer(serializers.Serializer):
    paid_on = serializers.DateField(required=False)
