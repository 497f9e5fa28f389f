"""May this template go out with these components? Asked before anything is queued as a template
(whatsapp.outbound.queue.template_queue) and again just before it is sent (whatsapp.outbound.sender).

It may when the catalogue has it approved in that language and the values we fill are exactly its
slots (the header's and body's placeholders, a URL button's), none of them empty, with the media
a media header needs: an uploaded media id or a link, or (`file_to_upload`) the file the message
carries, whose id is known only once the sender has uploaded it. Otherwise the answer is a Problem: Meta's error code for it, what is wrong
and how to fix it, in words for the operator. No call to Graph: a template that would fail there
is held (whatsapp.catalogue.held) instead of failing on each try.
"""

import hashlib
import json
from dataclasses import dataclass

from whatsapp import alerts
from whatsapp.catalogue.components import SECTION_LABELS, Slot, fill_of, render
from whatsapp.catalogue.definitions import definition_for
from whatsapp.models import ChannelAlert, MessageTemplate

MISSING_CODE = 132001  # Meta: template name does not exist in the translation
PARAMETERS_CODE = 132000  # Meta: number of parameters does not match
HEADER_CODE = 132012  # Meta: parameter format does not match the template's
PAUSED_CODE = 132015
DISABLED_CODE = 132016
ALERT_SOURCE = "catalogue"
SYNC = "`manage.py whatsapp_templates sync`"


@dataclass(frozen=True)
class Problem:
    code: int
    title: str  # what is wrong
    details: str  # why, and how to fix it


def template_find(name: str, language: str) -> MessageTemplate | None:
    return MessageTemplate.objects.filter(name=name, language=language).first()


def template_check(*, name: str, language: str, components, file_to_upload: bool = False) -> Problem | None:
    """None when the catalogue says this template may go out with these components, else why not."""
    return template_checked(name=name, language=language, components=components, file_to_upload=file_to_upload)[1]


def template_checked(*, name: str, language: str, components,
                     file_to_upload: bool = False) -> tuple[MessageTemplate | None, Problem | None]:
    """The catalogue's row of this template (None when it has none) and what keeps it from going out.

    `file_to_upload`: the message carries the media header's file (whatsapp.outbound.queue.document_queue),
    so the header's media id is empty until the sender uploads it."""
    template = template_find(name, language)
    if template is None:
        others = sorted(MessageTemplate.objects.filter(name=name).values_list("language", flat=True))
        return None, _missing(name, language, others)
    return template, template_problem(template, components, file_to_upload=file_to_upload)


def catalogue_version(template: MessageTemplate | None) -> str:
    """What the catalogue says of a template now (status and components), as a short fingerprint."""
    if template is None:
        return "missing"
    state = json.dumps([template.status, template.components], sort_keys=True, default=str)
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def template_text(template: MessageTemplate | None, components) -> str:
    """What the person reads (for the transcript), or "" when the catalogue does not know the template."""
    if template is None or not template.components:
        return ""
    return render(template.shape, fill_of(components))


def template_problem(template: MessageTemplate, components, *, file_to_upload: bool = False) -> Problem | None:
    """The check against one catalogue row (also the sandbox's stand-in's, with Meta's list)."""
    if not template.approved:
        return _not_approved(template)
    return _parameters_problem(template, components, file_to_upload)


def template_alert(problem: Problem, *, name: str, language: str) -> ChannelAlert:
    """Tell staff (the alerts on the admin home page), one open alert per template and problem."""
    return alerts.alert_raise(code=problem.code, title=problem.title, details=problem.details, source=ALERT_SOURCE,
                              subject=f"{name}:{language}")


def template_alerts_resolve(*, name: str, language: str) -> int:
    """The template can go out again: its alerts are over."""
    return alerts.alerts_resolve(source=ALERT_SOURCE, subject=f"{name}:{language}")


# --- the problems, in words -----------------------------------------------------------------------
def _called(name: str, language: str) -> str:
    return f"Template “{name}” ({language})"


def _setting_hint(name: str, language: str) -> str:
    definition = definition_for(name, language)
    if definition is None:
        return ""
    return (f" It is this project's template for {definition.purpose}, named by {definition.setting} and "
            f"{definition.setting}_LANGUAGE.")


def _missing(name: str, language: str, others: list[str]) -> Problem:
    where = f" It has “{name}” in {', '.join(others)} only." if others else ""
    if definition_for(name, language) is not None:
        fix = ("Run `manage.py whatsapp_templates create` to submit it to Meta (messages go out once Meta approves "
               "it), or set the setting to a template the account has.")
    else:
        fix = "Create it in WhatsApp Manager, or choose a template the account has."
    return Problem(MISSING_CODE, f"{_called(name, language)} is not in the template catalogue",
                   f"The WhatsApp Business Account has no template of that name in that language.{where}"
                   f"{_setting_hint(name, language)} {fix} If it exists at Meta, run {SYNC}. "
                   "Messages that need it are held and go out once it is approved.")


def _not_approved(template: MessageTemplate) -> Problem:
    called, reason = _called(template.name, template.language), template.status_reason
    because = f" Meta says: {reason}" if reason else ""
    held = " Messages that need it are held and go out once it is approved again."
    status = MessageTemplate.Status
    if template.status == status.PENDING:
        return Problem(MISSING_CODE, f"{called} is waiting for Meta's review",
                       "Meta reviews new and edited templates, usually within minutes, at most a day. Nothing to do "
                       "unless it is rejected: messages that need it are held and go out once it is approved.")
    if template.status == status.REJECTED:
        return Problem(MISSING_CODE, f"{called} was rejected by Meta",
                       f"Meta rejected the template.{because} Edit it in WhatsApp Manager and submit it again, or "
                       f"delete it there and run `manage.py whatsapp_templates create`.{held}")
    if template.status == status.PAUSED:
        return Problem(PAUSED_CODE, f"{called} is paused by Meta for low quality",
                       f"People reported or blocked its messages, so Meta paused it (3 hours the first time, 6 the "
                       f"second).{because} See the feedback in WhatsApp Manager and consider rewording it.{held}")
    if template.status == status.DISABLED:
        return Problem(DISABLED_CODE, f"{called} is disabled by Meta for low quality",
                       f"Meta disabled it after repeated pauses; it will not come back.{because} Create a new "
                       f"template (another name) and put its name in the setting that names this one, then run "
                       f"{SYNC}.{_setting_hint(template.name, template.language)}{held}")
    return Problem(MISSING_CODE, f"{called} cannot be sent: its status is {template.get_status_display()}",
                   f"Meta sends approved templates only.{because} Look at it in WhatsApp Manager, then run "
                   f"{SYNC}.{held}")


def _parameters_problem(template: MessageTemplate, components, file_to_upload: bool) -> Problem | None:
    shape, fill = template.shape, fill_of(components)
    expected = shape.slot_keys
    missing = [key for key in expected if key not in fill.values]
    extra = [key for key in fill.values if key not in expected]
    empty = [key for key in expected if key in fill.values and not fill.values[key].strip()]
    called = _called(template.name, template.language)
    labels = {slot.key: slot.label for slot in shape.slots}
    fix = (" Edit the template in WhatsApp Manager to take the values the project fills (Meta reviews it again), "
           "or create one that does (`manage.py whatsapp_templates create` submits the project's own under the "
           f"names in settings) and point the setting at it; then run {SYNC}.")
    if missing or extra:
        takes = ", ".join(labels[key] for key in expected) or "no values"
        given = ", ".join(_label(key) for key in fill.values) or "no values"
        return Problem(PARAMETERS_CODE, f"{called} takes other values than we fill",
                       f"In Meta's catalogue it takes {takes}; we fill {given}."
                       f"{_setting_hint(template.name, template.language)}{fix}")
    if empty:
        return Problem(PARAMETERS_CODE, f"{called} was given an empty value",
                       f"Meta refuses an empty value for {', '.join(labels[key] for key in empty)}. Fill every "
                       "field of the template.")
    media = shape.media_header
    given_media = str((fill.header_media or {}).get("type") or "").lower()
    if media and given_media != media:
        return Problem(HEADER_CODE, f"{called} needs a {media} in its header",
                       f"Its header is a {media}, and we send {('a ' + given_media) if given_media else 'none'}."
                       f"{_setting_hint(template.name, template.language)}{fix}")
    if media and not file_to_upload and not _media_named(fill.header_media, media):
        return Problem(HEADER_CODE, f"{called} was given a {media} without its file",
                       f"Its header's {media} names no uploaded media (id) and no link, so Meta has nothing to show. "
                       "Send it with the file.")
    if given_media and not media:
        return Problem(HEADER_CODE, f"{called} has no {given_media} header",
                       f"We send a {given_media} in the header, and its header is "
                       f"{('text' if shape.header else 'absent')}.{_setting_hint(template.name, template.language)}{fix}")
    return None


def _media_named(parameter: dict | None, media: str) -> bool:
    """Whether a media header's parameter names its media: an uploaded id or a link."""
    named = (parameter or {}).get(media)
    return isinstance(named, dict) and any(str(named.get(key) or "").strip() for key in ("id", "link"))


def _label(key: str) -> str:
    section, _, rest = key.partition(".")
    if section == "button":
        index, _, placeholder = rest.partition(".")
        return Slot(key, section, placeholder, button=int(index) if index.isdigit() else 0).label
    return Slot(key, section if section in SECTION_LABELS else "body", rest).label
