"""The OpenAI client (or any OpenAI-compatible server named by OPENAI_BASE_URL)."""

from functools import lru_cache

from django.conf import settings
from openai import OpenAI


class LLMUnavailable(Exception):
    """No model can be asked: no key configured, or the calls failed after the client's retries."""


# Local OpenAI-compatible servers (Ollama, llama.cpp, vLLM...) take any key; the client needs one.
LOCAL_SERVER_KEY = "not-needed"
NOT_CONFIGURED = "Neither OPENAI_API_KEY nor OPENAI_BASE_URL is set"


def llm_configured() -> bool:
    """A key for OpenAI, or the address of an OpenAI-compatible server (which may need no key)."""
    return bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)


def openai_client() -> OpenAI:
    if not llm_configured():
        raise LLMUnavailable(NOT_CONFIGURED)
    return _client(settings.OPENAI_API_KEY or LOCAL_SERVER_KEY, settings.OPENAI_BASE_URL, settings.OPENAI_TIMEOUT,
                   settings.OPENAI_MAX_RETRIES)


@lru_cache(maxsize=4)
def _client(api_key: str, base_url: str | None, timeout: float, max_retries: int) -> OpenAI:
    # One client per process and configuration: it pools its connections.
    return OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
