"""A template's shape, read from the components Meta lists: what the person reads, what we fill.

Pure functions, no database. The one implementation of a template's placeholders, used by the
check before a template is queued (whatsapp.catalogue.check), the text the transcript and the
picker's preview show (`render`, `preview_parts`), the Graph components a send carries
(`components`), and the sandbox's Graph stand-in, which checks sends as Meta does.

Placeholders are positional (`{{1}}`, `{{2}}`) or named (`{{customer_name}}`, Meta's
parameter_format NAMED). A *slot* is one value to fill: a placeholder of the text header, of the
body, or of a URL button's link. A media header (image, video, document) takes the media itself.
Slots are keyed "header.1", "body.2", "body.customer_name", "button.0.1" (the first button's {{1}}).
"""

import re
from dataclasses import dataclass, field

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")
# Meta refuses parameter text with new lines or tabs, or more than four spaces in a row.
_NOT_IN_A_PARAMETER = re.compile(r"\s*[\r\n\t]+\s*| {5,}")
SECTION_LABELS = {"header": "Header", "body": "Text"}


@dataclass(frozen=True)
class Slot:
    key: str
    section: str  # header, body or button
    placeholder: str  # "1", or the name of a named parameter
    example: str = ""
    button: int | None = None  # the button's position, for a URL button's slot

    @property
    def marker(self) -> str:
        return "{{" + self.placeholder + "}}"

    @property
    def label(self) -> str:
        if self.section == "button":
            return f"Button {self.button + 1} link {self.marker}"
        return f"{SECTION_LABELS[self.section]} {self.marker}"


@dataclass(frozen=True)
class Part:
    """A piece of a text: literal `text`, or the slot named `slot` (its marker in `text`)."""

    text: str
    slot: str = ""


@dataclass(frozen=True)
class Button:
    type: str  # QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, ...
    text: str
    url: tuple[Part, ...] = ()


@dataclass(frozen=True)
class Shape:
    header_format: str = ""  # "", TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION
    header: tuple[Part, ...] = ()
    body: tuple[Part, ...] = ()
    footer: str = ""
    buttons: tuple[Button, ...] = ()
    named: bool = False
    slots: tuple[Slot, ...] = ()

    @property
    def media_header(self) -> str:
        """"document", "image" or "video" when the header is that media ("" otherwise)."""
        return self.header_format.lower() if self.header_format in MEDIA_FORMATS else ""

    @property
    def slot_keys(self) -> list[str]:
        return [slot.key for slot in self.slots]


@dataclass
class Fill:
    """What a send fills in: a value per slot key, and the media of a media header."""

    values: dict[str, str] = field(default_factory=dict)
    header_media: dict | None = None  # {"type": "document", "document": {"id": ..., "filename": ...}}


# --- reading Meta's components ------------------------------------------------------------------
def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _parts(text: str, section: str, *, button: int | None = None) -> tuple[Part, ...]:
    parts, at = [], 0
    prefix = section if button is None else f"button.{button}"
    for match in PLACEHOLDER.finditer(text):
        if match.start() > at:
            parts.append(Part(text[at:match.start()]))
        parts.append(Part("{{" + match.group(1) + "}}", slot=f"{prefix}.{match.group(1)}"))
        at = match.end()
    if at < len(text):
        parts.append(Part(text[at:]))
    return tuple(parts)


def _examples(component: dict, section: str) -> dict[str, str]:
    """Meta's example values of a header or body, by placeholder."""
    example = component.get("example") if isinstance(component.get("example"), dict) else {}
    found = {}
    positional = example.get(f"{section}_text")
    if section == "body" and isinstance(positional, list) and positional and isinstance(positional[0], list):
        positional = positional[0]
    if isinstance(positional, list):
        found.update({str(n): _text(v) for n, v in enumerate(positional, start=1)})
    for item in example.get(f"{section}_text_named_params") or []:
        if isinstance(item, dict) and item.get("param_name"):
            found[str(item["param_name"])] = _text(item.get("example"))
    return found


def shape_of(components, parameter_format: str = "") -> Shape:
    """The shape of a template from its components as Meta lists them (anything else is ignored)."""
    header_format, header, body, footer, buttons, slots = "", (), (), "", [], []

    def add_slots(parts, section, examples, button=None):
        seen = {slot.key for slot in slots}
        for part in parts:
            if part.slot and part.slot not in seen:
                seen.add(part.slot)
                placeholder = part.slot.rsplit(".", 1)[1]
                slots.append(Slot(key=part.slot, section=section, placeholder=placeholder,
                                  example=examples.get(placeholder, ""), button=button))

    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        kind = _text(component.get("type")).upper()
        if kind == "HEADER":
            header_format = _text(component.get("format")).upper() or "TEXT"
            if header_format == "TEXT":
                header = _parts(_text(component.get("text")), "header")
                add_slots(header, "header", _examples(component, "header"))
        elif kind == "BODY":
            body = _parts(_text(component.get("text")), "body")
            add_slots(body, "body", _examples(component, "body"))
        elif kind == "FOOTER":
            footer = _text(component.get("text"))
        elif kind == "BUTTONS":
            for position, button in enumerate(component.get("buttons") or []):
                if not isinstance(button, dict):
                    continue
                url = _parts(_text(button.get("url")), "button", button=position)
                example = button.get("example")
                example = _text(example[0]) if isinstance(example, list) and example else ""
                add_slots(url, "button", {"1": example}, button=position)
                buttons.append(Button(type=_text(button.get("type")).upper(), text=_text(button.get("text")),
                                      url=url))
    named = parameter_format.upper() == "NAMED" or any(not slot.placeholder.isdigit() for slot in slots)
    # Positional placeholders are filled in their number's order, whatever order the text has them in.
    slots.sort(key=lambda s: (("header", "body", "button").index(s.section), s.button or 0,
                              int(s.placeholder) if s.placeholder.isdigit() else 0))
    return Shape(header_format=header_format, header=header, body=body, footer=footer, buttons=tuple(buttons),
                 named=named, slots=tuple(slots))


# --- what a send fills in: Graph's components, both ways -----------------------------------------
def parameter_text(value) -> str:
    """A value as Meta takes it in a parameter: one line, no tabs, no long runs of spaces."""
    return _NOT_IN_A_PARAMETER.sub(" ", str(value)).strip()


def components(fill: Fill) -> list[dict]:
    """The `components` of a template send (Graph's format) for these values and media.

    Values are given per slot key; a named one carries its `parameter_name`."""
    header, body, buttons = [], [], {}
    if fill.header_media:
        header.append(dict(fill.header_media))
    for key, value in sorted(fill.values.items(), key=lambda item: _position(item[0])):
        section, _, rest = key.partition(".")
        if section == "button":
            index, _, placeholder = rest.partition(".")
            buttons.setdefault(index, []).append({"type": "text", "text": parameter_text(value)})
            continue
        parameter = {"type": "text", "text": parameter_text(value)}
        if not rest.isdigit():
            parameter["parameter_name"] = rest
        (header if section == "header" else body).append(parameter)
    result = []
    if header:
        result.append({"type": "header", "parameters": header})
    if body:
        result.append({"type": "body", "parameters": body})
    for index, parameters in buttons.items():
        result.append({"type": "button", "sub_type": "url", "index": index, "parameters": parameters})
    return result


def _position(key: str) -> tuple:
    """Where a slot's value goes: positional ones by their number; named ones as they were given."""
    placeholder = key.rpartition(".")[2]
    return (0, int(placeholder)) if placeholder.isdigit() else (1, 0)


def template_components(*, body=(), header=(), header_document: dict | None = None) -> list[dict]:
    """Graph components for a positional template: body values ({{1}}, {{2}}, ...), header text
    values, and a document for a DOCUMENT header ({"id": "<media id>", "filename": "INV-1.pdf"})."""
    values = {f"header.{n}": v for n, v in enumerate(header, start=1)}
    values.update({f"body.{n}": v for n, v in enumerate(body, start=1)})
    media = {"type": "document", "document": dict(header_document)} if header_document else None
    return components(Fill(values=values, header_media=media))


def fill_of(sent) -> Fill:
    """What a send's `components` fill in (the inverse of `components`), read whatever they hold."""
    fill = Fill()
    for component in sent if isinstance(sent, list) else []:
        if not isinstance(component, dict):
            continue
        kind = _text(component.get("type")).lower()
        parameters = [p for p in component.get("parameters") or [] if isinstance(p, dict)]
        if kind == "button":
            for position, parameter in enumerate(parameters, start=1):
                fill.values[f"button.{component.get('index')}.{position}"] = _parameter_value(parameter)
            continue
        if kind not in ("header", "body"):
            continue
        position = 0
        for parameter in parameters:
            kind_of_value = _text(parameter.get("type")).lower()
            if kind == "header" and kind_of_value in ("image", "video", "document", "location"):
                fill.header_media = parameter
                continue
            position += 1
            name = _text(parameter.get("parameter_name")) or str(position)
            fill.values[f"{kind}.{name}"] = _parameter_value(parameter)
    return fill


def _parameter_value(parameter: dict) -> str:
    kind = _text(parameter.get("type")).lower()
    if kind in ("currency", "date_time"):
        return _text((parameter.get(kind) or {}).get("fallback_value") if isinstance(parameter.get(kind), dict)
                     else "")
    if kind == "payload":
        return _text(parameter.get("payload"))
    return _text(parameter.get("text"))


# --- what the person reads ----------------------------------------------------------------------
def _joined(parts, values: dict[str, str]) -> str:
    return "".join(values.get(part.slot) or part.text if part.slot else part.text for part in parts)


def render(shape: Shape, fill: Fill) -> str:
    """The text the person reads, with the values filled in (a slot left empty shows its marker).

    A media header is shown as a line naming it, the buttons as a line of their titles."""
    lines = []
    if shape.media_header:
        media = (fill.header_media or {}).get(shape.media_header) or {}
        filename = media.get("filename") if isinstance(media, dict) else ""
        lines.append(f"[{shape.media_header}{': ' + filename if filename else ''}]")
    if shape.header:
        lines.append(_joined(shape.header, fill.values))
    lines.append(_joined(shape.body, fill.values))
    if shape.footer:
        lines.append(shape.footer)
    if shape.buttons:
        lines.append(" ".join(f"[{button.text}]" for button in shape.buttons))
    return "\n".join(line for line in lines if line)


def preview_parts(shape: Shape) -> dict:
    """The same text split at its slots, for the picker's live preview in the browser (which only
    joins the parts with what is typed, as `render` does)."""
    def listed(parts):
        return [{"text": part.text, "slot": part.slot} for part in parts]

    return {
        "media": shape.media_header,
        "header": listed(shape.header),
        "body": listed(shape.body),
        "footer": shape.footer,
        "buttons": [button.text for button in shape.buttons],
    }
