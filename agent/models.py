"""The business's records (expenses, revenue, customers, invoices) and the agent's own log.

Money is Decimal (net, tax rate as a fraction, gross); dates people name are in the business time
zone (`TIME_ZONE`); timestamps are timezone-aware. Workflows live in agent.services.
"""

import secrets
from datetime import date

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from config.display import money

_currency_code = RegexValidator(r"^[A-Z]{3}$", "Use a 3-letter ISO 4217 code, e.g. EUR.")
_country_code = RegexValidator(r"^[A-Z]{2}$", "Use the 2-letter ISO 3166 code, e.g. DE.")


def default_currency() -> str:
    return settings.DEFAULT_CURRENCY


class AmountsModel(models.Model):
    """Net, tax rate and gross of a bookkeeping record, with their database checks."""

    net = models.DecimalField(max_digits=12, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4, help_text="A fraction: 0.1900 is 19%.")
    gross = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=default_currency, validators=[_currency_code],
                                help_text="ISO 4217, e.g. EUR.")

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(condition=Q(net__gt=0), name="%(app_label)s_%(class)s_net_positive"),
            models.CheckConstraint(condition=Q(gross__gt=0), name="%(app_label)s_%(class)s_gross_positive"),
            models.CheckConstraint(condition=Q(gross__gte=models.F("net")),
                                   name="%(app_label)s_%(class)s_gross_not_below_net"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0), name="%(app_label)s_%(class)s_tax_rate_not_negative"),
        ]

    @property
    def tax(self):
        return self.gross - self.net

    @property
    def gross_display(self) -> str:
        return money(self.gross, self.currency)


class Expense(AmountsModel):
    """Money the business spent, submitted by a team member and reviewed by a manager."""

    class Category(models.TextChoices):
        # The fixed list the assistant offers; "other" for anything that fits none of them.
        TRAVEL = "travel", "Travel (tickets, hotels, taxis, parking)"
        FUEL = "fuel", "Fuel"
        MEALS = "meals", "Meals and entertainment"
        OFFICE = "office", "Office supplies"
        SOFTWARE = "software", "Software and subscriptions"
        UTILITIES = "utilities", "Utilities (power, water, phone, internet)"
        RENT = "rent", "Rent"
        EQUIPMENT = "equipment", "Equipment and tools"
        MARKETING = "marketing", "Marketing and advertising"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    category = models.CharField(max_length=16, choices=Category.choices)
    description = models.TextField(blank=True)
    merchant = models.CharField(max_length=200, blank=True)
    spent_on = models.DateField(default=timezone.localdate, db_index=True)
    receipt = models.FileField(upload_to="receipts/%Y/%m/", blank=True)
    # When the receipt file was deleted at the end of the bookkeeping retention period (agent.retention).
    receipt_removed_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expenses")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="reviewed_expenses")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    # Four eyes: someone else reviews an expense, unless its submitter was the only manager or a
    # superuser (agent.services.expense_check_reviewable); then this says so.
    self_reviewed = models.BooleanField(
        "reviewed by its submitter", default=False,
        help_text="Approved or rejected by the person who submitted it: allowed only to a superuser, or to "
                  "the only active manager.")
    source_message = models.ForeignKey("whatsapp.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(AmountsModel.Meta):
        ordering = ["-spent_on", "-id"]
        indexes = [models.Index(fields=["submitted_by", "spent_on"])]
        permissions = [("view_dashboard", "Can see the manager dashboard"),
                       ("review_expense", "Can approve or reject expenses")]

    def __str__(self):
        return f"Expense #{self.pk}: {money(self.gross, self.currency)} {self.category} on {self.spent_on}"


class Customer(models.Model):
    """A customer of the business (who invoices go to)."""

    company_name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +4930123456.")
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=255, blank=True)
    address_line2 = models.CharField("address (second line)", max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    # Needed to issue an invoice (agent.invoices.profile says which are missing).
    country_code = models.CharField(max_length=2, blank=True, validators=[_country_code],
                                    help_text="ISO 3166 two-letter code, e.g. DE; needed on invoices.")
    vat_id = models.CharField("VAT id", max_length=32, blank=True, help_text="The customer's VAT id, if any.")
    # The person who talks to the assistant for this customer (sees this customer's invoices).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="customers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["company_name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(phone="") | Q(phone__startswith="+"), name="agent_customer_phone_e164"),
        ]

    def __str__(self):
        return self.company_name


class Revenue(AmountsModel):
    """Money the business received."""

    description = models.TextField(blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="revenue")
    received_on = models.DateField(default=timezone.localdate, db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source_message = models.ForeignKey("whatsapp.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(AmountsModel.Meta):
        ordering = ["-received_on", "-id"]
        verbose_name_plural = "revenue"

    def __str__(self):
        return f"Revenue #{self.pk}: {money(self.gross, self.currency)} on {self.received_on}"


class InvoiceSequence(models.Model):
    """The last invoice number given out in a year; its row is locked while the next is taken."""

    year = models.PositiveIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_number}"


def open_invoice_q() -> Q:
    """Invoices still expected to be paid: drafts and sent ones."""
    return Q(status__in=[Invoice.Status.DRAFT, Invoice.Status.SENT])


def overdue_invoice_q(today: date | None = None) -> Q:
    """Open invoices whose due date has passed (overdue is derived, never stored)."""
    return open_invoice_q() & Q(due_on__lt=today or timezone.localdate())


class InvoiceQuerySet(models.QuerySet):
    def open(self):
        return self.filter(open_invoice_q())

    def overdue(self, today: date | None = None):
        return self.filter(overdue_invoice_q(today))


class Invoice(AmountsModel):
    """An invoice to a customer. Numbered INV-<year>-<0001> per year of issue.

    Its net, tax and gross are the totals of its lines (agent.invoices.lines); `tax_rate` is the
    lines' rate, or with several rates the effective one (tax / net).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    number = models.CharField(max_length=32, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    description = models.TextField()
    issued_on = models.DateField(default=timezone.localdate)
    supplied_on = models.DateField("supply date", null=True, blank=True,
                                   help_text="When the goods or services were supplied; blank: the issue date.")
    due_on = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENT, db_index=True)
    paid_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source_message = models.ForeignKey("whatsapp.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    # The WhatsApp message that last sent its PDF to the customer (agent.invoices.sending): its ticks.
    sent_message = models.ForeignKey("whatsapp.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", editable=False)
    # The message that carried its PDF with its first overdue reminder (agent.jobs): later reminders
    # only name it (the customer asks for it again); sent again only if that one failed.
    reminder_message = models.ForeignKey("whatsapp.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta(AmountsModel.Meta):
        ordering = ["-issued_on", "-id"]
        constraints = AmountsModel.Meta.constraints + [
            models.CheckConstraint(condition=Q(due_on__gte=models.F("issued_on")), name="agent_invoice_due_after_issue"),
            models.CheckConstraint(condition=~Q(status="paid") | Q(paid_on__isnull=False),
                                   name="agent_invoice_paid_has_date"),
        ]

    def __str__(self):
        return f"{self.number} ({self.customer}): {money(self.gross, self.currency)}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SENT)

    def is_overdue_on(self, today: date) -> bool:
        return self.is_open and self.due_on < today

    @property
    def is_overdue(self) -> bool:
        """Open and past its due date, today in the business time zone."""
        return self.is_overdue_on(timezone.localdate())


class AgentTurn(models.Model):
    """One answer of the agent to an inbound message: model, token usage, rounds, time, outcome."""

    conversation = models.ForeignKey("whatsapp.Conversation", on_delete=models.CASCADE, related_name="agent_turns")
    message = models.ForeignKey("whatsapp.Message", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="agent_turns", help_text="The inbound message answered.")
    # Who the assistant answered (the sender then): a number can later pass to someone else.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    model = models.CharField(max_length=128, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    # The part of prompt_tokens the provider served from its prompt cache (billed at a discount).
    cached_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    total_tokens = models.PositiveIntegerField(default=0)
    rounds = models.PositiveSmallIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"]), models.Index(fields=["user", "created_at"])]

    def __str__(self):
        return f"Turn #{self.pk} ({self.model}, {self.total_tokens} tokens)"


class ToolCall(models.Model):
    """One tool the model called, with its arguments and its result or error (shown in transcripts)."""

    conversation = models.ForeignKey("whatsapp.Conversation", on_delete=models.CASCADE, related_name="tool_calls")
    message = models.ForeignKey("whatsapp.Message", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="tool_calls", help_text="The inbound message of the turn.")
    reply = models.ForeignKey("whatsapp.Message", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", help_text="The outbound reply the turn led to.")
    turn = models.ForeignKey(AgentTurn, null=True, blank=True, on_delete=models.CASCADE, related_name="tool_calls")
    # The model's id for the call, to pair it with its result when the history is replayed.
    call_id = models.CharField(max_length=128, blank=True)
    round = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=100)
    arguments = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    model = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"])]

    def __str__(self):
        return f"{self.name}({self.arguments}) {'failed' if self.error else 'ok'}"


def confirmation_token() -> str:
    return secrets.token_urlsafe(24)


class PendingAction(models.Model):
    """A change the assistant was asked to make (delete, mark paid, review, change an expense),
    waiting for the person's own Yes. Only their tap on its buttons (whose ids carry `token`), or
    their typed yes to it, carries it out, by code (agent.confirmations); never the model."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the answer"
        DONE = "done", "Done (they said yes)"
        FAILED = "failed", "They said yes, but it could not be done"
        DECLINED = "declined", "Declined (they said no)"
        EXPIRED = "expired", "Expired unanswered"
        SUPERSEDED = "superseded", "Replaced by a newer question"

    # Who asked: only their own answer counts.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey("whatsapp.Conversation", on_delete=models.CASCADE,
                                     related_name="pending_actions")
    message = models.ForeignKey("whatsapp.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", help_text="The inbound message whose turn asked.")
    tool = models.CharField(max_length=100)
    arguments = models.JSONField(default=dict, help_text="The tool's validated arguments.")
    question = models.TextField()
    token = models.CharField(max_length=64, unique=True, default=confirmation_token, editable=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_message = models.ForeignKey("whatsapp.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", help_text="The tap or the typed answer.")
    outcome = models.TextField(blank=True, help_text="What the person was told.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["conversation", "state"])]

    def __str__(self):
        return f"{self.tool} #{self.pk} ({self.state})"

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())


class JobRun(models.Model):
    """One scheduled message sent to one recipient for one day or week: running a job twice sends nothing twice."""

    job = models.CharField(max_length=64)
    period_key = models.CharField(max_length=32, help_text="e.g. 2026-11-25 or 2026-W48")
    recipient_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "period_key", "recipient_key"], name="one_job_run")]
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.job} {self.period_key} {self.recipient_key}"


class LimitReached(models.Model):
    """A person went over one of their limits (agent.limits): from `started_at` until `last_at` their
    messages got no model call; they were told once, when it started."""

    class Kind(models.TextChoices):
        MESSAGES_PER_MINUTE = "messages_per_minute", "Messages per minute"
        MESSAGES_PER_DAY = "messages_per_day", "Messages per day"
        TOKENS_PER_DAY = "tokens_per_day", "Model tokens per day"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("limit", max_length=32, choices=Kind.choices)
    limit = models.PositiveIntegerField(help_text="The limit in force then.")
    started_at = models.DateTimeField(default=timezone.now)
    last_at = models.DateTimeField(default=timezone.now, help_text="The latest message it held back.")
    messages = models.PositiveIntegerField(default=1, help_text="Messages held back (no model call).")
    message = models.ForeignKey("whatsapp.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", help_text="The first message held back (the notice answered it).")

    class Meta:
        ordering = ["-last_at", "-id"]
        indexes = [models.Index(fields=["user", "kind", "last_at"])]
        verbose_name = "limit reached"
        verbose_name_plural = "limits reached"

    def __str__(self):
        return f"{self.get_kind_display()} ({self.limit}) from {self.started_at:%Y-%m-%d %H:%M}"


# Invoices as documents (lines, the business profile, incoming e-invoices): agent.invoices.models.
from agent.invoices.models import BusinessProfile, IncomingEInvoice, InvoiceLine  # noqa: E402,F401
