"""The channel in the admin: conversations with their transcripts and take-over, raw webhooks,
messages, statuses, alerts, and the sandbox's deliveries.

What Meta sent is evidence: webhook events, messages and status updates are read-only here. Each
list, page and file shows only what the viewer may read (whatsapp.visibility: a team member's own
conversation is theirs, their managers' and the superusers').

    inbox.py          the inbox (settings.ADMIN_PAGES): list, chat, person; its live view
    conversations.py  the list with what needs attention, the transcript (transcript.py), take-over
    messages.py       messages and their media
    events.py         raw webhook bodies and statuses
    alerts.py         operator alerts
    templates.py      the template catalogue (synced from Meta)
    sandbox.py        what the Graph API stand-in accepted
    home.py           what the admin home page shows first (settings.ADMIN_INDEX_CONTEXT)
    people.py         a person's conversations on their page (settings.ACCOUNTS_PERSON_SECTIONS)
"""

from whatsapp.admin import alerts, conversations, events, messages, sandbox, templates  # noqa: F401  (registers the admins)
