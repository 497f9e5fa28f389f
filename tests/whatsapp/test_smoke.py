from tests.conftest import fresh
from whatsapp.models import Message


def test_text_is_stored_and_answered(deliver, member, graph):
    response, _ = deliver(fresh("messages__text"))
    assert response.status_code == 200
    inbound = Message.objects.get(direction="in")
    assert inbound.text == "Does it come in another color?"
    assert inbound.status == "handled"
    assert graph.texts() == ["Got it, thanks. Your message is saved."]
    assert len(graph.read_receipts()) == 1
    out = Message.objects.get(direction="out")
    assert out.status == "sent" and out.wamid.startswith("wamid.fake")
