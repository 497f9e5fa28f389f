"""The back office's template picker: the approved templates staff may send by hand, a field per
value each takes, a live preview of what the person reads, and `send_template`.

Reusable by any page with a composer (the conversation's take-over, an inbox):

    context:  "template_picker": picker_context()
    template: {% include "admin/whatsapp/template_picker.html" with picker=template_picker %} inside
              the page's <form> (it brings whatsapp/template_picker.js, served with the static files)
    POST:     message = template_send_from_form(conversation=..., data=request.POST, sent_by=request.user)
              raises TemplatePickError (its message is for the person) for no template or a field left
              empty; a template Meta would refuse is held with an alert (message.status == "held",
              why in message.error_title / error_details) by whatsapp.outbound.queue.template_queue.

The preview in the browser only joins the parts `preview_parts` cut the text into (no rule of its
own); the text stored and shown in the transcript is `render`'s, on the server.
"""

from collections.abc import Mapping

from whatsapp.catalogue.components import Fill, components, preview_parts, render
from whatsapp.models import Conversation, Message, MessageTemplate
from whatsapp.outbound.queue import template_queue

FIELD_PREFIX = "template-value"
# One-time passwords are sent by code that makes them, never typed by staff.
NOT_BY_HAND = ("AUTHENTICATION",)


class TemplatePickError(ValueError):
    """What was picked or typed cannot be sent; the message says why, for the person."""


def picker_templates():
    """The templates offered: approved, not authentication, and without a media header (the file
    for one comes from the page that sends it, the invoice's for an invoice)."""
    return [template for template in MessageTemplate.objects.filter(status=MessageTemplate.Status.APPROVED)
            .exclude(category__in=NOT_BY_HAND).order_by("name", "language") if not template.shape.media_header]


def field_name(template: MessageTemplate, slot_key: str) -> str:
    return f"{FIELD_PREFIX}-{template.pk}-{slot_key}"


def picker_context() -> dict:
    """What the include needs: each template with its fields and preview parts."""
    offered = []
    for template in picker_templates():
        shape = template.shape
        offered.append({
            "template": template,
            "fields": [{"name": field_name(template, slot.key), "slot": slot.key, "label": slot.label,
                        "example": slot.example} for slot in shape.slots],
            "preview": render(shape, Fill()),
            "parts": preview_parts(shape),
        })
    return {"templates": offered, "parts": {str(item["template"].pk): item["parts"] for item in offered}}


def picked_template(data: Mapping) -> MessageTemplate:
    """The template chosen in the form (only one the picker offers)."""
    chosen = str(data.get("template") or "")
    template = next((t for t in picker_templates() if str(t.pk) == chosen), None)
    if template is None:
        raise TemplatePickError("Choose one of the approved templates." if not chosen else
                                "That template cannot be sent by hand (it is not approved any more, or needs a "
                                "file): choose another one.")
    return template


def picked_values(template: MessageTemplate, data: Mapping) -> dict[str, str]:
    """The value typed for each of the template's slots; every one is needed."""
    values = {slot.key: str(data.get(field_name(template, slot.key)) or "").strip() for slot in template.shape.slots}
    empty = [slot.label for slot in template.shape.slots if not values[slot.key]]
    if empty:
        raise TemplatePickError(f"Fill in every field of the template “{template.name}”: {', '.join(empty)} "
                                f"{'is' if len(empty) == 1 else 'are'} empty.")
    return values


def send_template(*, conversation: Conversation, template: MessageTemplate, values: dict[str, str], sent_by,
                  header_media: dict | None = None) -> Message:
    """Queue `template` to the person of `conversation` with a value per slot (by slot key, e.g.
    {"body.1": "Ann"}), as `sent_by`. It goes through the catalogue's check like every template:
    one Meta would refuse is held with an alert. `header_media` is a media header's parameter
    ({"type": "document", "document": {"id": ..., "filename": ...}})."""
    expected = template.shape.slot_keys
    if sorted(values) != sorted(expected) or not all(str(v).strip() for v in values.values()):
        raise TemplatePickError(f"The template “{template.name}” takes a value for each of "
                                f"{', '.join(expected) or 'nothing'}.")
    ordered = {key: values[key] for key in expected}
    return template_queue(conversation=conversation, name=template.name, language=template.language,
                          components=components(Fill(values=ordered, header_media=header_media)), sent_by=sent_by)


def template_send_from_form(*, conversation: Conversation, data: Mapping, sent_by) -> Message:
    """The picker's POST: the chosen template with the values typed, sent as `sent_by`."""
    template = picked_template(data)
    return send_template(conversation=conversation, template=template, values=picked_values(template, data),
                         sent_by=sent_by)
