"""The assistant: WHATSAPP_REPLY_HANDLER = "agent.runner.reply".

One path, in order: reactions get no answer; button taps, and a typed yes or no to the question
just asked, answer a confirmation (by code); a person over a limit gets no model call (agent.limits,
told once; commands still work); an e-invoice becomes an expense read from its XML
(agent.invoices.receive); media becomes text or an image part; /commands are answered by code;
everything else goes to the LLM loop.
Whatever fails, the person gets a clear answer and the failure is recorded.
"""

import logging

from agent import commands, confirmations, inputs
from agent.invoices.receive import einvoice_receive
from agent.limits import limit_check
from agent.llm import NOT_CONFIGURED, LLMUnavailable, llm_configured
from agent.loop import run_turn
from agent.media import MediaTooBig, MediaUnavailable
from agent.models import AgentTurn
from whatsapp.replies import Reply

logger = logging.getLogger(__name__)

CANNOT_THINK = "Sorry, I can't think right now (the assistant is unavailable). Your message is saved."
AI_OFF = ("AI replies are off, so for now I understand only the commands below. To turn them on, whoever runs "
          "this service sets OPENAI_API_KEY (or OPENAI_BASE_URL, for a local OpenAI-compatible server such as "
          "Ollama) and restarts it.")
VOICE_NEEDS_AI = "I can't listen to voice notes while AI replies are off. Could you type it instead?"
TYPE_IT_INSTEAD = "Sorry, I couldn't listen to that voice note. Could you type it instead?"
MEDIA_FAILED = "Sorry, I couldn't open that file. Could you send it again, or type the details?"
OTHER_TYPES = {
    "location": "Thanks for the location. I can help with expenses, revenue, customers and invoices: "
                "tell me what you'd like to record or look up.",
    "contacts": "Thanks for the contact. If you'd like me to add them as a customer, send their "
                "company name and details as text.",
    "sticker": "🙂 How can I help with your expenses or invoices?",
    "video": "I can't watch videos. Send a photo of a receipt, a PDF, a voice note or a text instead.",
}
DEFAULT_OTHER = "I can read text, voice notes, photos of receipts and PDF invoices. How can I help?"


def reply(conversation, message) -> Reply | None:
    user = conversation.user
    if user is None or not user.is_active:
        return None  # the channel only calls us for allowed senders; be safe anyway
    if message.type == "reaction":
        return None

    tap = confirmations.parse_button(message)
    if tap is not None:
        return confirmations.answer_tap(user=user, conversation=conversation, message=message, tap=tap)
    answered = confirmations.typed_answer(user=user, conversation=conversation, message=message)
    if answered is not None:
        return answered
    if not (message.type == "text" and commands.is_command(message.text.strip())):
        held = limit_check(user=user, message=message)
        if held is not None:  # over a limit: no model call; told once
            return Reply(text=held.notice) if held.notice else None

    if message.type == "audio" and not llm_configured():
        _record_failure(conversation, message, NOT_CONFIGURED)
        return Reply(text=f"{VOICE_NEEDS_AI}\n\n{AI_OFF}\n\n{commands.help_text(user)}")
    try:
        # An e-invoice is read exactly from its XML and recorded before anything reads its text.
        received = einvoice_receive(user=user, message=message)
        if received is not None and received.reply is not None:
            return received.reply
        content = received.content if received is not None else inputs.user_content(message)
    except MediaTooBig as exc:
        _record_failure(conversation, message, f"media: {exc}")
        return Reply(text=exc.reply)
    except MediaUnavailable as exc:
        _record_failure(conversation, message, f"media: {exc}")
        return Reply(text=TYPE_IT_INSTEAD if message.type == "audio" else MEDIA_FAILED)
    if content is None:
        return Reply(text=OTHER_TYPES.get(message.type, DEFAULT_OTHER))

    text = content.text.strip()
    if commands.is_command(text):
        return Reply(text=commands.run(user=user, text=text, message=message))

    if not llm_configured():
        _record_failure(conversation, message, NOT_CONFIGURED)
        return Reply(text=f"{AI_OFF}\n\n{commands.help_text(user)}")
    try:
        return run_turn(user=user, conversation=conversation, message=message, content=content)
    except LLMUnavailable as exc:
        logger.warning("LLM unavailable for message %s: %s", message.pk, exc)
        return Reply(text=f"{CANNOT_THINK}\n\n{commands.help_text(user)}")


def _record_failure(conversation, message, error: str) -> None:
    AgentTurn.objects.create(conversation=conversation, message=message, user=conversation.user, model="",
                             error=error[:2000])
