"""Reading the account's template webhooks: pure, no database (whatsapp.payloads calls it).

Meta posts them to the same callback as messages, under the WhatsApp Business Account object:
`message_template_status_update` (`event`: APPROVED, REJECTED, PAUSED, DISABLED, ...),
`message_template_quality_update` (`new_quality_score`) and `template_category_update`
(`new_category`). whatsapp.catalogue.sync applies them to the catalogue.
"""

from dataclasses import dataclass, field

from whatsapp.payload_values import Unreadable, as_dict, as_id, as_text

STATUS_FIELD = "message_template_status_update"
QUALITY_FIELD = "message_template_quality_update"
CATEGORY_FIELD = "template_category_update"
TEMPLATE_FIELDS = (STATUS_FIELD, QUALITY_FIELD, CATEGORY_FIELD)
# Sizes of the catalogue's columns (whatsapp.models.MessageTemplate).
ID, NAME, LANGUAGE, WORD = 64, 512, 16, 32
# Meta's explanations beside a status event, in the order they are quoted.
EXPLANATIONS = ("rejection_info", "other_info", "disable_info")


@dataclass
class TemplateUpdate:
    field: str  # one of TEMPLATE_FIELDS
    account_id: str  # entry[].id: the WhatsApp Business Account
    template_id: str
    name: str
    language: str
    new: str  # the status event, the new quality score or the new category
    previous: str = ""  # the quality score or category before
    reason: str = ""  # Meta's reason and explanations, as one text
    raw: dict = field(default_factory=dict)


def parse_template_update(raw, *, field_name: str, account_id: str) -> TemplateUpdate:
    """One change of a template field. Raises Unreadable when it names no template or says nothing."""
    value = as_dict(raw)
    if not value:
        raise Unreadable("value is not an object")
    template_id = as_id(value.get("message_template_id"), ID)
    name = as_text(value.get("message_template_name"), NAME)
    language = as_id(value.get("message_template_language"), LANGUAGE)
    if not (template_id or (name and language)):
        raise Unreadable("names no template (no message_template_id, name or language)")
    new_key, previous_key = {STATUS_FIELD: ("event", ""), QUALITY_FIELD: ("new_quality_score", "previous_quality_score"),
                             CATEGORY_FIELD: ("new_category", "previous_category")}[field_name]
    new = as_id(value.get(new_key), WORD).upper()
    if not new:
        raise Unreadable(f"no {new_key}")
    return TemplateUpdate(field=field_name, account_id=account_id, template_id=template_id, name=name,
                          language=language, new=new, reason=_reason(value),
                          previous=as_id(value.get(previous_key), WORD).upper() if previous_key else "", raw=value)


def _reason(value: dict) -> str:
    parts = []
    reason = as_text(value.get("reason"))
    if reason and reason.upper() != "NONE":
        parts.append(reason)
    for key in EXPLANATIONS:
        info = as_dict(value.get(key))
        parts.extend(as_text(info.get(k)) for k in ("title", "reason", "description", "recommendation",
                                                    "disable_date") if as_text(info.get(k)))
    return " ".join(part if part.endswith((".", "!", "?")) else f"{part}." for part in parts)
