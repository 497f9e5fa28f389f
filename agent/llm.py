"""The OpenAI client (or any OpenAI-compatible server named by OPENAI_BASE_URL)."""

from functools import lru_cache

from django.conf import settings
from openai import OpenAI


class LLMUnavailable(Exception):
    """No model can be asked: no key configured, or the calls failed after the client's retries."""


def llm_configured() -> bool:
    return bool(settings.OPENAI_API_KEY)


def openai_client() -> OpenAI:
    if not llm_configured():
        raise LLMUnavailable("OPENAI_API_KEY is not set")
    return _client(settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL, settings.OPENAI_TIMEOUT,
                   settings.OPENAI_MAX_RETRIES)


@lru_cache(maxsize=4)
def _client(api_key: str, base_url: str | None, timeout: float, max_retries: int) -> OpenAI:
    # One client per process and configuration: it pools its connections.
    return OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
