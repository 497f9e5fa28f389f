"""Submitting the project's templates to Meta (`manage.py whatsapp_templates create`), idempotently.

The catalogue is synced first; a template the account already has in that language (in any
status) is left alone, and one Meta refuses as existing (created meanwhile) counts as existing.
A new one is stored as Meta answers (PENDING, or APPROVED at once), with the components sent;
Meta's review then comes by the status webhook, or the next sync.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from whatsapp.catalogue.definitions import TemplateDefinition, project_templates
from whatsapp.catalogue.held import template_held_release
from whatsapp.catalogue.sync import templates_sync
from whatsapp.models import MessageTemplate
from whatsapp.outbound.client import GraphClient
from whatsapp.outbound.errors import GraphError

logger = logging.getLogger(__name__)

# Meta's error_subcode for "Content in this language already exists" (code 100).
EXISTS_SUBCODE = 2388024


@dataclass
class CreateResult:
    created: list[str] = field(default_factory=list)  # "name:language (STATUS)"
    existing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "name:language: why"


def templates_create(*, client: GraphClient | None = None) -> CreateResult:
    """Submit each of the project's templates the account does not have in its language."""
    client = client or GraphClient()
    templates_sync(client=client)
    result = CreateResult()
    for definition in project_templates():
        have = MessageTemplate.objects.filter(name=definition.name, language=definition.language).exclude(
            status=MessageTemplate.Status.DELETED).first()
        if have is not None:
            result.existing.append(f"{definition.key} ({have.status})")
            continue
        try:
            result.created.append(_create(definition, client))
        except GraphError as exc:
            if exc.code == 100 and exc.subcode == EXISTS_SUBCODE:
                result.existing.append(f"{definition.key} (created meanwhile; the next sync lists it)")
            else:
                logger.warning("Template %s not created: %s", definition.key, exc)
                result.failed.append(f"{definition.key}: {exc}")
        except TemplateNotCreatable as exc:
            result.failed.append(f"{definition.key}: {exc}")
    return result


class TemplateNotCreatable(Exception):
    """Something the operator must set first; the message says what."""


def _create(definition: TemplateDefinition, client: GraphClient) -> str:
    handle = ""
    if definition.header_format == "DOCUMENT":
        if not settings.WHATSAPP_APP_ID:
            raise TemplateNotCreatable("its document header needs an example uploaded to the Meta app: set "
                                       "WHATSAPP_APP_ID (the app's id, in Meta's App Dashboard) and run this again.")
        handle = client.example_upload(definition.example_document(), "application/pdf")
    answer = client.template_create(definition.for_meta(header_handle=handle))
    status = str(answer.get("status") or MessageTemplate.Status.PENDING).upper()
    MessageTemplate.objects.update_or_create(name=definition.name, language=definition.language, defaults={
        "meta_id": str(answer.get("id") or ""), "status": status,
        "category": str(answer.get("category") or definition.category).upper(), "parameter_format": "POSITIONAL",
        "components": definition.components(header_handle=handle), "status_reason": "",
        "status_changed_at": timezone.now()})
    if status == MessageTemplate.Status.APPROVED:
        template_held_release(name=definition.name, language=definition.language)
    logger.info("Template %s submitted to Meta: %s", definition.key, status)
    return f"{definition.key} ({status})"
