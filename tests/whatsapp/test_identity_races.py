"""A person's first messages racing in parallel web workers on PostgreSQL, some naming their number
and BSUID, some the BSUID alone: one conversation, every message stored and answered once."""

from unittest import mock

import pytest

from accounts.models import User
from tests.conftest import fresh
from tests.whatsapp.test_concurrency import THREADS, post_at_once
from whatsapp.models import Conversation, Message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 5
BSUID = "US.13491208655302741918"


def test_first_messages_naming_the_number_or_the_bsuid_alone_racing_create_one_conversation(member):
    User.objects.filter(pk=member.pk).update(bsuid=BSUID)  # staff linked it: every message is hers
    with mock.patch("whatsapp.tasks.inbound_handle_task.delay"):  # stored and queued, not answered here
        for round_ in range(ROUNDS):
            bodies = [fresh("messages__text_with_user_id" if i % 2 else "messages__text_user_id_only",
                            id=f"wamid.race{round_}-{i}") for i in range(THREADS)]
            assert post_at_once(bodies) == [200] * THREADS
            conversation = Conversation.objects.get()
            assert (conversation.wa_id, conversation.bsuid, conversation.user) == ("16505551234", BSUID, member)
            inbound = conversation.messages.all()
            assert [(m.status, m.sender_allowed) for m in inbound] == [("received", True)] * THREADS
            Conversation.objects.all().delete()  # the next round races for a new conversation again


def test_a_stranger_s_first_messages_racing_create_one_conversation(db):
    bodies = [fresh("messages__text_with_user_id" if i % 2 else "messages__text_user_id_only", id=f"wamid.s{i}")
              for i in range(THREADS)]
    assert post_at_once(bodies) == [200] * THREADS
    conversation = Conversation.objects.get()
    assert conversation.messages.count() == THREADS
    assert set(Message.objects.values_list("status", flat=True)) == {"ignored"}
