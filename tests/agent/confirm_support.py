"""Asking and answering Yes/No questions the way a person does on WhatsApp."""


def button_ids(graph) -> list[str]:
    """Every reply-button id sent so far, in order (Yes, No of each question)."""
    return [b["reply"]["id"] for m in graph.sent("interactive") for b in m["interactive"]["action"]["buttons"]]


def tap(say, button_id: str, title: str = "Yes", **extra):
    """The person taps a reply button (sender: Sheena unless `sender=` says otherwise)."""
    return say(kind="interactive_button_reply", button_reply={"id": button_id, "title": title}, **extra)


def yes_button(graph) -> str:
    return button_ids(graph)[-2]


def no_button(graph) -> str:
    return button_ids(graph)[-1]
