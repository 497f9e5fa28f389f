"""What the channel stores: raw webhook bodies, conversations, messages and their statuses."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from config.display import local_date, local_datetime, phone
from whatsapp.catalogue.components import Shape, shape_of

REPLY_WINDOW = timedelta(hours=24)


def on_our_number(phone_number_id: str) -> bool:
    """Whether a webhook's `metadata.phone_number_id` is the number we answer from.

    Meta posts the webhooks of every number of the business account the app is subscribed to;
    another number's messages are stored and shown, never answered (none is ours while
    WHATSAPP_PHONE_NUMBER_ID is unset).
    """
    ours = settings.WHATSAPP_PHONE_NUMBER_ID
    return bool(ours) and phone_number_id == ours


def on_our_number_q(field: str = "phone_number_id") -> Q:
    """The same rule as a query filter."""
    ours = settings.WHATSAPP_PHONE_NUMBER_ID
    return Q(**{field: ours}) if ours else Q(pk__in=[])


class WebhookEvent(models.Model):
    """One POST from Meta, kept byte for byte so it can be inspected and replayed."""

    class Status(models.TextChoices):
        PROCESSED = "processed", "Processed"
        REJECTED = "rejected", "Rejected (not a WhatsApp webhook)"
        # Signed and answered 200, but its items could not be stored (a value the database refused,
        # a bug): the body is kept as it came, to replay with `manage.py replay_webhook` after a fix.
        NOT_STORED = "not_stored", "Kept raw, not stored (replay after a fix)"

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    body = models.BinaryField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROCESSED)
    error = models.TextField(blank=True)
    message_count = models.PositiveIntegerField(default=0)
    status_count = models.PositiveIntegerField(default=0)
    replayed_at = models.DateTimeField(null=True, blank=True)
    # The body's bytes are dropped after RETENTION_WEBHOOK_BODY_DAYS (whatsapp.retention); the row stays.
    body_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        # The admin home page counts the bodies kept raw on every visit: few, so a small partial index.
        indexes = [models.Index(fields=["received_at"], condition=models.Q(status="not_stored"),
                                name="webhook_not_stored")]

    def __str__(self):
        return f"Webhook #{self.pk} at {local_datetime(self.received_at)}"

    @property
    def body_text(self) -> str:
        if self.body_purged_at:
            return f"(removed by the retention policy on {local_date(self.body_purged_at)})"
        return bytes(self.body).decode("utf-8", errors="replace")


class Conversation(models.Model):
    """One per (our business number, the person), whichever of their ids Meta sends (whatsapp.identity).

    `wa_id` and `bsuid` are the person's current ids, each on one conversation at most. `contact_key`
    is the id it was created under (the number, else the business-scoped user id), where two first
    messages racing meet; it stays one of the current ids (or "#<id>" once it has none left).
    """

    phone_number_id = models.CharField(max_length=64)
    contact_key = models.CharField(max_length=255)
    wa_id = models.CharField(max_length=32, blank=True)
    # Up to 135 characters ("US.ENT." and 128 letters and digits).
    bsuid = models.CharField("business-scoped user id", max_length=255, blank=True)
    profile_name = models.CharField(max_length=256, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Meta's timestamp of the newest message from the person: the 24-hour window is derived from it.
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    bot_paused = models.BooleanField(default=False)
    # Set for good once a team member (staff, a manager, a superuser) writes in it as its person: it
    # stays theirs (accounts.permissions), whatever their role later (whatsapp.visibility).
    private = models.BooleanField(default=False, help_text="A team member's own conversation: private to them, "
                                                             "the managers and the superusers, for good.")
    # The team member who answers this person by hand (the inbox's "assigned to me"); a take-over
    # assigns it to whoever takes over, a hand-back clears it (whatsapp.takeover).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The team member who answers this person by hand.",
    )
    # Leases: a worker that dies lets go when they expire.
    inbound_lease_until = models.DateTimeField(null=True, blank=True)
    outbox_lease_until = models.DateTimeField(null=True, blank=True)
    # Graph's 131056 (too many messages to this person): nothing goes to them before this.
    send_backoff_until = models.DateTimeField(null=True, blank=True)
    not_registered_reply_at = models.DateTimeField(null=True, blank=True)
    # The assistant could not answer them (AI replies off, the model down): a person should
    # (whatsapp.attention). Cleared when a team member replies by hand.
    needs_person_since = models.DateTimeField(null=True, blank=True)
    needs_person_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["phone_number_id", "contact_key"], name="conversation_per_contact"),
            # A person's number and BSUID each name one conversation: how a message with either finds it.
            models.UniqueConstraint(fields=["phone_number_id", "wa_id"], condition=~models.Q(wa_id=""),
                                    name="conversation_per_wa_id"),
            models.UniqueConstraint(fields=["phone_number_id", "bsuid"], condition=~models.Q(bsuid=""),
                                    name="conversation_per_bsuid"),
        ]
        ordering = ["-last_message_at", "-id"]

    def __str__(self):
        who = self.profile_name or (phone(self.wa_id) if self.wa_id else self.contact_key)
        return f"{who}"

    @property
    def recipient(self) -> dict:
        """Who Graph sends to: `to` with the number when we know it (Meta's advice), else `recipient`
        with the business-scoped user id (someone who hides their number behind a username)."""
        return {"to": f"+{self.wa_id}"} if self.wa_id else {"recipient": self.bsuid}

    @property
    def window_expires_at(self):
        return self.last_inbound_at + REPLY_WINDOW if self.last_inbound_at else None

    def window_open(self, at=None) -> bool:
        expires = self.window_expires_at
        return expires is not None and (at or timezone.now()) < expires

    @property
    def on_our_number(self) -> bool:
        return on_our_number(self.phone_number_id)


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", "Inbound"
        OUTBOUND = "out", "Outbound"

    class Status(models.TextChoices):
        # inbound
        RECEIVED = "received", "Received, not answered yet"
        HANDLED = "handled", "Handled"
        IGNORED = "ignored", "Ignored (sender not allowed)"
        OTHER_NUMBER = "other_number", "Not answered (sent to another business number)"
        # outbound, in the order they happen
        QUEUED = "queued", "Queued"
        # Free-form: until the person writes again. A template: until the catalogue says it can go
        # (approved, with the parameters we fill); the reason is in error_details.
        HELD = "held", "Held (waits for the person, or for its template)"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        PLAYED = "played", "Played"
        FAILED = "failed", "Failed"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    wamid = models.CharField("WhatsApp message id", max_length=255, unique=True, null=True, blank=True)
    type = models.CharField(max_length=32)
    # Meta's own time for inbound messages; creation time for outbound ones. Transcripts sort on it.
    timestamp = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices)

    # Content: text, caption, button title, ...; media; everything else type-specific in `data`.
    text = models.TextField(blank=True)
    media_id = models.CharField(max_length=128, blank=True)
    media_mime_type = models.CharField(max_length=128, blank=True)
    media_sha256 = models.CharField(max_length=128, blank=True)
    media_filename = models.CharField(max_length=255, blank=True)
    media_voice = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)
    context_wamid = models.CharField("in reply to (wamid)", max_length=255, blank=True)
    referral = models.JSONField(null=True, blank=True)
    raw = models.JSONField(null=True, blank=True)
    # The downloaded media (photos, voice notes, documents), once someone needed it.
    media_file = models.FileField(upload_to="whatsapp/%Y/%m/", blank=True)
    # When the media was deleted after RETENTION_CHAT_MEDIA_DAYS (whatsapp.retention).
    media_removed_at = models.DateTimeField(null=True, blank=True)
    transcript = models.TextField(blank=True)

    # Inbound
    webhook_event = models.ForeignKey(WebhookEvent, null=True, blank=True, on_delete=models.SET_NULL)
    sender_allowed = models.BooleanField(default=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    # Outbound
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    part = models.PositiveSmallIntegerField(default=0)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    error_code = models.IntegerField(null=True, blank=True)
    error_title = models.CharField(max_length=255, blank=True)
    error_details = models.TextField(blank=True)

    class Meta:
        constraints = [
            # A reply is keyed by the message it answers: a retried task cannot answer twice.
            models.UniqueConstraint(
                fields=["in_reply_to", "part"],
                condition=models.Q(in_reply_to__isnull=False),
                name="one_reply_part_per_inbound",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "timestamp", "id"]),
            models.Index(fields=["direction", "status", "created_at"]),
        ]
        ordering = ["timestamp", "id"]

    def __str__(self):
        # No content: the admin shows this wherever a record links to a message (an invoice's or a
        # revenue's source, raw-id and autocomplete lookups), also to people who may not read its
        # conversation (whatsapp.visibility). The text is on the message's own page and in the transcript.
        arrow = "←" if self.direction == self.Direction.INBOUND else "→"
        return f"{arrow} {self.type} #{self.pk}"

    @property
    def preview(self) -> str:
        text = self.text or self.transcript or self.media_filename or ""
        return text if len(text) <= 80 else text[:79] + "…"


class InboxRead(models.Model):
    """How far a team member has read a conversation in the inbox: what came after is unread to them."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The newest message they had on screen (ids grow as messages are stored).
    last_read_message_id = models.BigIntegerField(default=0)
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="one_read_mark_per_reader")]

    def __str__(self):
        return f"{self.user_id} read {self.conversation_id} up to {self.last_read_message_id}"


class StatusUpdate(models.Model):
    """A delivery status Meta reported for one of our messages; one row per (wamid, status)."""

    wamid = models.CharField(max_length=255)
    status = models.CharField(max_length=16)
    timestamp = models.DateTimeField()
    recipient_id = models.CharField(max_length=255, blank=True)
    # Since 2026 statuses also name the person by business-scoped user id (or only by it).
    recipient_user_id = models.CharField(max_length=255, blank=True)
    errors = models.JSONField(null=True, blank=True)
    raw = models.JSONField()
    # The business number it was reported for: another number's statuses never move our messages.
    phone_number_id = models.CharField(max_length=64, blank=True)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="statuses")
    webhook_event = models.ForeignKey(WebhookEvent, null=True, blank=True, on_delete=models.SET_NULL)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["wamid", "status"], name="one_status_per_message")]
        # The sweeper looks for statuses not attached to a message: few, so a small partial index.
        indexes = [models.Index(fields=["received_at"], condition=models.Q(message__isnull=True),
                                name="status_unattached")]
        ordering = ["timestamp", "id"]

    def __str__(self):
        return f"{self.wamid} {self.status}"


class ChannelAlert(models.Model):
    """Something an operator must fix (an expired token, a restricted account, Meta-side errors)."""

    code = models.IntegerField()
    title = models.CharField(max_length=255)
    details = models.TextField(blank=True)
    source = models.CharField(max_length=32, help_text="graph (a send failed), webhook (Meta reported it) or "
                                                      "catalogue (a template cannot be sent)")
    # What the alert is about when a code alone does not say it (a template: "name:language"); one
    # open alert per code, source and subject.
    subject = models.CharField(max_length=255, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    count = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self):
        return f"{self.code}: {self.title}"


class MessageTemplate(models.Model):
    """A message template of the WhatsApp Business Account, as Meta lists it (whatsapp.catalogue).

    Synced from Graph (`manage.py whatsapp_templates sync`, and by beat) and kept current by the
    account's template webhooks. Nothing is queued as a template unless its row here is approved and
    takes the parameters we fill (whatsapp.catalogue.check).
    """

    class Status(models.TextChoices):
        # Meta's statuses; only APPROVED may be sent.
        APPROVED = "APPROVED", "Approved"
        PENDING = "PENDING", "Pending review"
        REJECTED = "REJECTED", "Rejected"
        PAUSED = "PAUSED", "Paused (low quality)"
        DISABLED = "DISABLED", "Disabled (low quality)"
        IN_APPEAL = "IN_APPEAL", "In appeal"
        LIMIT_EXCEEDED = "LIMIT_EXCEEDED", "Limit exceeded"
        ARCHIVED = "ARCHIVED", "Archived"
        PENDING_DELETION = "PENDING_DELETION", "Pending deletion"
        DELETED = "DELETED", "Deleted"

    meta_id = models.CharField("Meta's template id", max_length=64, blank=True, db_index=True)
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=16)
    category = models.CharField(max_length=32, blank=True, help_text="UTILITY, MARKETING or AUTHENTICATION")
    # When Meta moved it to another category (which changes the price): the one before.
    previous_category = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=32, choices=Status.choices)
    # Why it has that status, in Meta's words (a rejection's reason, a pause's description).
    status_reason = models.TextField(blank=True)
    quality_score = models.CharField(max_length=16, blank=True, help_text="GREEN, YELLOW, RED or UNKNOWN")
    parameter_format = models.CharField(max_length=16, blank=True, help_text="POSITIONAL ({{1}}) or NAMED")
    # Header (text, image, video, document), body, footer, buttons: as Meta lists them.
    components = models.JSONField(default=list, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "language"], name="one_template_per_language")]
        ordering = ["name", "language"]

    def __str__(self):
        return f"{self.name} ({self.language})"

    @property
    def key(self) -> str:
        return f"{self.name}:{self.language}"

    @property
    def approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def shape(self) -> Shape:
        """Its header, body, footer, buttons and the slots a send fills (whatsapp.catalogue.components)."""
        return shape_of(self.components, self.parameter_format)


class SandboxDelivery(models.Model):
    """What the Graph API stand-in accepted in sandbox mode: what would have reached a phone.

    A `message` row is one message we sent (its wamid is the one the stand-in returned); a `read`
    row is our mark-as-read of one of the person's messages (its wamid is theirs).
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        READ = "read", "Marked as read"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    wamid = models.CharField(max_length=255, db_index=True)
    phone_number_id = models.CharField(max_length=64)
    to = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=32, blank=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "sandbox deliveries"

    def __str__(self):
        return f"{self.kind} {self.type} to {self.to}".strip()


class SandboxMedia(models.Model):
    """A photo, voice note or file sent from the sandbox phone, served as Graph serves media."""

    media_id = models.CharField(max_length=64, unique=True)
    content = models.BinaryField()
    mime_type = models.CharField(max_length=128)
    sha256 = models.CharField(max_length=64, help_text="base64, as Meta sends it")
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "sandbox media"

    def __str__(self):
        return f"{self.filename or self.media_id} ({self.mime_type})"


class WorkerHeartbeat(models.Model):
    """The last sign of life of one Celery worker, which it writes itself every few seconds while it
    is connected to the broker (whatsapp.heartbeat). /readiness/ reports when the newest is old."""

    hostname = models.CharField(max_length=255, unique=True, help_text="The worker's name (celery@host)")
    pid = models.PositiveIntegerField()
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self):
        return f"{self.hostname} at {local_datetime(self.seen_at)}"
