"""Model Markdown -> WhatsApp formatting.

WhatsApp knows *bold*, _italic_, ~strike~, ```code``` and `inline`, and "- " / "1. " lists;
it shows Markdown's **bold**, # headings and | tables | as raw symbols.
"""

import re

_FENCE = re.compile(r"```.*?```", re.S)
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC_STAR = re.compile(r"(?<![\*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\*\w])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HRULE = re.compile(r"^[ \t]*([-*_])([ \t]*\1){2,}[ \t]*$", re.M)
_BULLET = re.compile(r"^([ \t]*)[*+][ \t]+", re.M)


def to_whatsapp(text: str) -> str:
    """Convert the model's Markdown to what WhatsApp renders. Code blocks are left alone."""
    if not text:
        return ""
    pieces, last = [], 0
    for match in _FENCE.finditer(text):
        pieces.append(_convert(text[last:match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(_convert(text[last:]))
    return re.sub(r"\n{3,}", "\n\n", "".join(pieces)).strip()


def _convert(text: str) -> str:
    text = _tables(text)
    text = _HRULE.sub("", text)
    text = _BULLET.sub(r"\1- ", text)
    text = _ITALIC_STAR.sub(r"_\1_", text)  # before bold: single stars are italic in Markdown
    text = _BOLD.sub(r"*\2*", text)
    text = _STRIKE.sub(r"~\1~", text)
    text = _HEADING.sub(lambda m: f"*{_unbold(m.group(1))}*", text)
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text)
    return text


def _unbold(text: str) -> str:
    return text.strip().strip("*").strip()


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables(text: str) -> str:
    """A Markdown table becomes one plain line per row: "Header: value, Header: value"."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        if i + 1 < len(lines) and "|" in lines[i] and _TABLE_SEPARATOR.match(lines[i + 1]):
            headers = _cells(lines[i])
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                cells = _cells(lines[i])
                pairs = [f"{h}: {c}" if h else c for h, c in zip(headers, cells) if c]
                out.append("- " + ", ".join(pairs))
                i += 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)
