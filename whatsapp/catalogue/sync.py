"""Keeping the catalogue current: a full sync from Graph, and the account's template webhooks.

`templates_sync` (`manage.py whatsapp_templates sync`, and beat every 15 minutes) reads every
page of `GET /{WABA_ID}/message_templates` and writes the catalogue in one transaction; a template
Meta no longer lists is marked deleted. `template_update_apply` applies one webhook (intake calls
it, in the webhook's transaction: no network). Both release the messages held for a template
that may go out now (whatsapp.catalogue.held).
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from whatsapp.catalogue.held import held_templates, template_held_release, templates_held_release
from whatsapp.catalogue.webhooks import CATEGORY_FIELD, QUALITY_FIELD, STATUS_FIELD, TemplateUpdate
from whatsapp.models import MessageTemplate
from whatsapp.outbound.client import GraphClient
from whatsapp.payload_values import as_dict, as_id, as_text

logger = logging.getLogger(__name__)

# Status events that say something about a template without changing whether it may be sent.
NOTED_EVENTS = {"FLAGGED", "LOCKED", "UNLOCKED"}
# Events that put a template back to approved.
APPROVING_EVENTS = {"APPROVED", "REINSTATED", "UNPAUSED"}


class CatalogueNotConfigured(Exception):
    """WHATSAPP_BUSINESS_ACCOUNT_ID is not set: there is no catalogue to read."""


@dataclass
class SyncResult:
    listed: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    released: int = 0


def templates_sync(*, client: GraphClient | None = None) -> SyncResult:
    """Read the account's whole catalogue from Graph and store it; release what may go out now."""
    if not settings.WHATSAPP_BUSINESS_ACCOUNT_ID:
        raise CatalogueNotConfigured("Set WHATSAPP_BUSINESS_ACCOUNT_ID (the WhatsApp Business Account's id, in "
                                     "Meta's WhatsApp Manager) to sync the message templates.")
    listed = [row for row in map(_row_of, (client or GraphClient()).templates_list()) if row]
    return _catalogue_store(listed)


@transaction.atomic
def _catalogue_store(listed: list[dict]) -> SyncResult:
    now, result = timezone.now(), SyncResult(listed=len(listed))
    known = {(t.name, t.language): t for t in MessageTemplate.objects.select_for_update()}
    seen = set()
    for row in listed:
        key = (row["name"], row["language"])
        if key in seen:
            continue
        seen.add(key)
        template = known.get(key)
        if template is None:
            MessageTemplate.objects.create(**row, last_synced_at=now, status_changed_at=now)
            result.added.append(f"{key[0]}:{key[1]}")
            continue
        changes = {name: value for name, value in row.items() if getattr(template, name) != value}
        if "status" in changes:
            changes["status_changed_at"] = now
            if not row.get("status_reason"):
                changes["status_reason"] = ""
        if changes.keys() - {"status_reason"}:
            result.changed.append(template.key)
        MessageTemplate.objects.filter(pk=template.pk).update(**changes, last_synced_at=now)
    for key, template in known.items():
        if key not in seen and template.status != MessageTemplate.Status.DELETED:
            MessageTemplate.objects.filter(pk=template.pk).update(
                status=MessageTemplate.Status.DELETED, status_changed_at=now, last_synced_at=now,
                status_reason="Meta no longer lists it in the account's templates.")
            result.removed.append(template.key)
    result.released = templates_held_release()
    logger.info("Template catalogue synced: %s listed, %s added, %s changed, %s removed, %s released",
                result.listed, len(result.added), len(result.changed), len(result.removed), result.released)
    return result


def _row_of(item: dict) -> dict | None:
    """A catalogue row from one of Meta's list items (None for one without a name and language)."""
    name, language = as_text(item.get("name"), 512), as_id(item.get("language"), 16)
    if not (name and language):
        return None
    quality = item.get("quality_score")
    quality = as_dict(quality).get("score") if isinstance(quality, dict) else quality
    reason = as_text(item.get("rejected_reason"))
    components = item.get("components")
    return {
        "name": name, "language": language, "meta_id": as_id(item.get("id"), 64),
        "status": as_id(item.get("status"), 32).upper() or MessageTemplate.Status.PENDING,
        "category": as_id(item.get("category"), 32).upper(), "quality_score": as_id(quality, 16).upper(),
        "parameter_format": as_id(item.get("parameter_format"), 16).upper(),
        "components": components if isinstance(components, list) else [],
        "status_reason": "" if reason.upper() in ("", "NONE") else reason,
    }


def template_update_apply(*, update: TemplateUpdate) -> MessageTemplate | None:
    """Apply one of the account's template webhooks to the catalogue (in the caller's transaction).

    Another account's template is not ours (logged, left alone). A status webhook for a template
    the catalogue does not know yet adds it, and a sync after commit fetches its components (an
    edited template's new text comes with the next sync; if Meta refuses a send meanwhile, the
    sender holds it and syncs)."""
    ours = settings.WHATSAPP_BUSINESS_ACCOUNT_ID
    if ours and update.account_id and update.account_id != ours:
        logger.warning("Template webhook for another business account %r (ours is %r): not applied",
                       update.account_id, ours)
        return None
    template = _template_of(update)
    now = timezone.now()
    if update.field == STATUS_FIELD:
        template = _status_apply(template, update, now)
    elif template is None:
        logger.warning("Template webhook %s for %s (%s) not in the catalogue: a sync adds it", update.field,
                       update.name or update.template_id, update.language)
        _sync_after_commit()
        return None
    elif update.field == QUALITY_FIELD:
        MessageTemplate.objects.filter(pk=template.pk).update(quality_score=update.new)
    elif update.field == CATEGORY_FIELD:
        MessageTemplate.objects.filter(pk=template.pk).update(category=update.new,
                                                              previous_category=update.previous or template.category)
    return template


def _template_of(update: TemplateUpdate) -> MessageTemplate | None:
    rows = MessageTemplate.objects.select_for_update()
    if update.template_id:
        template = rows.filter(meta_id=update.template_id).first()
        if template is not None:
            return template
    if update.name and update.language:
        return rows.filter(name=update.name, language=update.language).first()
    return None


def _status_apply(template: MessageTemplate | None, update: TemplateUpdate, now) -> MessageTemplate | None:
    if update.new in NOTED_EVENTS:
        if template is not None:
            note = f"{update.new.capitalize()} by Meta on {now:%Y-%m-%d}. {update.reason}".strip()
            MessageTemplate.objects.filter(pk=template.pk).update(status_reason=note)
        return template
    status = MessageTemplate.Status.APPROVED if update.new in APPROVING_EVENTS else update.new
    known = template is not None
    if not known:
        if not (update.name and update.language):
            _sync_after_commit()
            return None
        template = MessageTemplate.objects.create(
            name=update.name, language=update.language, meta_id=update.template_id, status=status,
            status_reason=update.reason, status_changed_at=now,
            category=as_id(update.raw.get("message_template_category"), 32).upper())
        _sync_after_commit()  # its components
    else:
        MessageTemplate.objects.filter(pk=template.pk).update(status=status, status_reason=update.reason,
                                                              status_changed_at=now)
        template.refresh_from_db()
    if template.approved:
        template_held_release(name=template.name, language=template.language)
        if known and held_templates(name=template.name, language=template.language).exists():
            # Still held for the catalogue's text: Meta may have approved an edit (other
            # placeholders), which only a sync brings; it releases what the new text allows.
            _sync_after_commit()
    logger.info("Template %s is now %s", template.key, status)
    return template


def _sync_after_commit() -> None:
    from whatsapp.tasks import templates_sync_task

    transaction.on_commit(templates_sync_task.delay, robust=True)
