"""What one tool result may cost the prompt: rows per page, tokens per result, and the hint for more.

A list tool shows `AGENT_TOOL_ROWS` rows from `offset` (a parameter of each list tool) and says when
there are more; the loop then sends the result within `AGENT_TOOL_RESULT_TOKENS`, dropping rows from
the end when the rows are long. Either way the result says how to get the rest, so the model can
ask for it (narrower filters, or the next offset) instead of guessing.
"""

from django.conf import settings

from agent import tokens

MORE = "more rows not shown: narrow the filters, or call again with offset={offset}"
CUT = "result cut to fit; ask for less"


def page(queryset, *, key: str, offset: int, to_json) -> dict:
    """Rows `offset`... of `queryset` (ordered) as `key`, with "more" when there are further rows."""
    limit = settings.AGENT_TOOL_ROWS
    found = list(queryset[offset:offset + limit + 1])
    rows = [to_json(r) for r in found[:limit]]
    result = {key: rows, "shown": len(rows)}
    if offset:
        result["offset"] = offset
    if len(found) > limit:
        result["more"] = MORE.format(offset=offset + len(rows))
    return result


def result_text(result: dict, *, limit: int | None = None) -> str:
    """`result` as the model reads it: compact JSON of at most `limit` tokens (AGENT_TOOL_RESULT_TOKENS)."""
    limit = limit or settings.AGENT_TOOL_RESULT_TOKENS
    text = tokens.compact(result)
    if tokens.count(text) <= limit:
        return text
    key = max((k for k, v in result.items() if isinstance(v, list)), key=lambda k: len(result[k]), default=None)
    if key is not None and result[key]:
        rows = list(result[key])
        # Rows cost about the same each: guess how many fit, then step down to be sure.
        keep = max(0, min(len(rows) - 1, len(rows) * limit // tokens.count(text)))
        while True:
            shown = keep
            trimmed = {**result, key: rows[:keep], "shown": shown,
                       "more": MORE.format(offset=result.get("offset", 0) + shown)}
            text = tokens.compact(trimmed)
            if tokens.count(text) <= limit or keep == 0:
                break
            keep -= 1
        if tokens.count(text) <= limit:
            return text
    return tokens.compact({"ok": result.get("ok", True), "note": CUT,
                           "cut": tokens.cut(tokens.compact(result), limit - 20)})
