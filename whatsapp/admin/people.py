"""A person's conversations on their admin page (settings.ACCOUNTS_PERSON_SECTIONS): a team member's
own conversations only for themselves, managers and superusers (accounts.permissions)."""

from accounts.admin import person_section
from accounts.permissions import person_conversations_visible
from whatsapp.models import Conversation
from whatsapp.visibility import conversations_visible_to


def person_sections(person, *, viewer) -> list[dict]:
    if not person_conversations_visible(viewer=viewer, person=person):
        return []
    # A former team member's conversations stay private (Conversation.private): listed as the
    # conversation rule says.
    conversations = conversations_visible_to(viewer, Conversation.objects.filter(user=person))
    return [person_section(
        "Conversations", conversations.order_by("-last_message_at", "-id"),
        lambda c: [str(c), c.last_message_at or "—", "assistant paused" if c.bot_paused else ""],
        "No conversations yet.")]
