"""The issue's two steps, answered by the assistant: a staff member writes with their number and
business-scoped user id, then with the id alone (a WhatsApp username), and it is one conversation."""

from tests.conftest import fresh
from whatsapp.models import Conversation, Message


def test_a_staff_member_writing_with_a_username_is_answered_in_the_same_conversation(deliver, fake_openai, staff,
                                                                                      graph):
    fake_openai.reply("Invoice 12 is for EUR 238.00.")
    fake_openai.reply("Not yet: it is due on the 30th.")

    deliver(fresh("messages__text_with_user_id"))  # from 16505551234 and US.13491208655302741918
    response, _ = deliver(fresh("messages__text_user_id_only"))  # from US.13491208655302741918 alone
    assert response.status_code == 200

    conversation = Conversation.objects.get()
    assert (conversation.user, conversation.wa_id, conversation.bsuid) == (
        staff, "16505551234", "US.13491208655302741918")
    inbound = conversation.messages.filter(direction=Message.Direction.INBOUND)
    assert [(m.status, m.sender_allowed) for m in inbound] == [("handled", True), ("handled", True)]
    assert graph.texts() == ["Invoice 12 is for EUR 238.00.", "Not yet: it is due on the 30th."]
    # The second turn was the same conversation to the assistant: it saw the first question and answer.
    history = fake_openai.chat_requests[1]["messages"]
    assert {"role": "user", "content": "Can you check invoice 12 for me?"} in history
    assert {"role": "assistant", "content": "Invoice 12 is for EUR 238.00."} in history
    assert history[-1] == {"role": "user", "content": "And is it paid yet?"}
