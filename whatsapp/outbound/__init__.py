"""Outbound: every message we send is first a row (queued), then sent in order by a Celery task.

The path, in order: `queue` (a reply, a template, a notification becomes queued rows; the
24-hour window decides what may go out and what is held) -> `sender` (outbound_send: one
conversation's outbox, oldest first, retried as `retry` says) -> `client` (the Graph API over
HTTP, its failures typed in `errors`). Meta's status webhooks then move each message forward
(whatsapp.statuses); a `failed` one comes back here as its own task (`failed`). `notify` is
for messages the business starts.

Nothing here imports intake or the inbound pipeline: they call down into it. The sender applies a
status that raced ahead of the wamid it stored through whatsapp.statuses, which imports nothing
of the outbox.
"""
