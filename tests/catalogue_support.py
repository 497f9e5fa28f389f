"""The template catalogue in tests: the project's templates approved, as Meta lists them once
created, or any template a test needs (whatsapp.models.MessageTemplate)."""

from whatsapp.catalogue.definitions import project_templates
from whatsapp.models import MessageTemplate


def template_approved(name: str, language: str = "en_US", *, body: str = "Hello!", components: list | None = None,
                      **fields) -> MessageTemplate:
    """A template the catalogue has approved (a body without placeholders unless given)."""
    defaults = {"status": MessageTemplate.Status.APPROVED, "category": "UTILITY",
                "components": components if components is not None else [{"type": "BODY", "text": body}], **fields}
    template, _ = MessageTemplate.objects.update_or_create(name=name, language=language, defaults=defaults)
    return template


def project_templates_approved() -> list[MessageTemplate]:
    """Every template the project sends, approved under the names and languages in settings."""
    return [template_approved(d.name, d.language, category=d.category, components=d.components(header_handle="4::h"))
            for d in project_templates()]


def meta_lists_project_templates(graph, **statuses: str) -> dict[str, dict]:
    """The fake Graph's account lists the project's templates as Meta does once they are created:
    approved unless `statuses` says otherwise (by setting name, e.g. WHATSAPP_INVOICE_TEMPLATE="PAUSED";
    "" leaves that one out). Returns what is listed, by setting name."""
    listed = {}
    for definition in project_templates():
        status = statuses.get(definition.setting, "APPROVED")
        if status:
            listed[definition.setting] = graph.add_template(
                definition.name, definition.language, status=status, category=definition.category,
                components=definition.components(header_handle="https://scontent.whatsapp.net/v/t61/sample.pdf"))
    return listed


def listed_by_meta(template: MessageTemplate) -> dict:
    """The catalogue row as Meta's list has it (for the fake Graph's catalogue)."""
    return {"name": template.name, "language": template.language, "status": template.status,
            "category": template.category, "components": template.components, "parameter_format": "POSITIONAL",
            "id": template.meta_id or f"80631297473{template.pk:04d}"}
