"""The templates this project sends, as Meta takes them to create them.

Each app lists its own in settings.WHATSAPP_TEMPLATE_DEFINITIONS (the channel's re-engagement
template is here; the assistant's reminders, summaries, review outcomes and invoices are in
agent/message_templates.py). A definition is named by a setting: its name is that setting's value
and its language the value of the same setting with `_LANGUAGE`, so operators rename them as before.
`manage.py whatsapp_templates create` submits them; the sandbox's Graph stand-in lists them approved.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class TemplateDefinition:
    setting: str  # e.g. "WHATSAPP_REMINDER_TEMPLATE"; the language is in "<setting>_LANGUAGE"
    purpose: str  # what it is for, in a few words (the command and the alerts say it)
    category: str  # UTILITY, MARKETING or AUTHENTICATION
    body: str  # placeholders {{1}}, {{2}}, ...; Meta refuses one at the very start or end
    body_example: tuple[str, ...]
    footer: str = ""
    header_format: str = ""  # "" (none), "TEXT" or "DOCUMENT"
    header_text: str = ""
    header_example: tuple[str, ...] = ()
    # A DOCUMENT header's example (Meta reviews it): the bytes of a sample PDF, made when needed.
    example_document: Callable[[], bytes] | None = None

    @property
    def name(self) -> str:
        return getattr(settings, self.setting)

    @property
    def language(self) -> str:
        return getattr(settings, f"{self.setting}_LANGUAGE")

    @property
    def key(self) -> str:
        return f"{self.name}:{self.language}"

    def components(self, *, header_handle: str = "") -> list[dict]:
        """Meta's components for creating it (a document header's example is an uploaded handle)."""
        result = []
        if self.header_format == "TEXT":
            header = {"type": "HEADER", "format": "TEXT", "text": self.header_text}
            if self.header_example:
                header["example"] = {"header_text": list(self.header_example)}
            result.append(header)
        elif self.header_format:
            result.append({"type": "HEADER", "format": self.header_format,
                           "example": {"header_handle": [header_handle]}})
        result.append({"type": "BODY", "text": self.body, "example": {"body_text": [list(self.body_example)]}})
        if self.footer:
            result.append({"type": "FOOTER", "text": self.footer})
        return result

    def for_meta(self, *, header_handle: str = "") -> dict:
        """The body of Graph's create call."""
        return {"name": self.name, "language": self.language, "category": self.category,
                "parameter_format": "POSITIONAL", "components": self.components(header_handle=header_handle)}


REENGAGEMENT = TemplateDefinition(
    setting="WHATSAPP_REENGAGEMENT_TEMPLATE",
    purpose="asks the person to write when a reply waits and their 24-hour window is closed",
    category="UTILITY",
    body="Hello! {{1}} has a reply waiting for you. Send any message in this chat to read it.",
    body_example=("Acme Plumbing",),
)


def channel_templates() -> list[TemplateDefinition]:
    """The channel's own: the re-engagement template ({{1}} the business name)."""
    return [REENGAGEMENT]


def project_templates() -> list[TemplateDefinition]:
    """Every template the project sends, from each app named in settings.WHATSAPP_TEMPLATE_DEFINITIONS."""
    return [definition for path in settings.WHATSAPP_TEMPLATE_DEFINITIONS for definition in import_string(path)()]


def definition_for(name: str, language: str) -> TemplateDefinition | None:
    """The project's definition that currently has this name and language, if any."""
    return next((d for d in project_templates() if d.name == name and d.language == language), None)
