"""The template catalogue: the WhatsApp Business Account's message templates, kept in the database
(whatsapp.models.MessageTemplate) and checked before anything is queued as a template.

    components.py  a template's shape from Meta's components: slots, the text the person reads, the
                   components a send carries (pure)
    definitions.py the templates this project sends (names and languages from settings), as Meta
                   takes them to create them
    check.py       may this template go out with these components? what is wrong and how to fix it
    held.py        a template that cannot go out is held with an alert; released once it can
    sync.py        the catalogue from Graph (all pages); the account webhooks' updates
    create.py      submitting the project's templates that Meta does not have yet
    picker.py      the back office's template picker: the templates offered, a field per slot, and
                   `send_template` (conversation, template, values, sent by)

Nothing here imports the inbound pipeline; `held` queues through whatsapp.outbound.queue.
"""
