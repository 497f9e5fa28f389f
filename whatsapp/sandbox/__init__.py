"""Sandbox mode: the whole service on a laptop, with no Meta account.

`graph` is a stand-in for Meta's Graph API (messages, mark-as-read, media) that records what would
have been delivered and posts signed status webhooks back; `phone` builds the webhooks a phone's
messages cause; `views` is the /sandbox/ chat page staff use to talk as any allowed person.
"""
