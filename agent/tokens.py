"""Prompt tokens counted before a request is sent: what the caps in settings are measured in.

The count is exact for OpenAI's o200k_base encoding (gpt-4o, gpt-4o-mini, gpt-4.1, the o-series;
`AGENT_TOKENIZER` names another, e.g. cl100k_base for gpt-4) through bpe-openai, whose wheel ships the
vocabulary: tiktoken downloads its files at run time, which a worker without internet cannot. Other
models' tokenizers (a local Llama) differ by some percent.

A chat message costs its text plus 3 tokens of framing, an answer 3 more to start (OpenAI's published
count). Tool schemas and tool calls are counted as their compact JSON, which errs high: the provider
renders them more tersely. An image part counts `AGENT_IMAGE_TOKENS`, what the provider bills for one
at `AGENT_IMAGE_DETAIL`.
"""

import json
from functools import lru_cache

import bpe_openai
from django.conf import settings

PER_MESSAGE = 3
PER_REQUEST = 3


@lru_cache(maxsize=2)
def _encoding(name: str):
    return bpe_openai.get_encoding(name)


def encoding():
    """The tokenizer, loaded once per process (a worker loads it when it starts: agent.warm)."""
    return _encoding(settings.AGENT_TOKENIZER)


def count(text: str) -> int:
    return len(encoding().encode_ordinary(text)) if text else 0


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def message_tokens(message: dict) -> int:
    content = message.get("content")
    if isinstance(content, list):
        total = sum(count(part.get("text", "")) if part.get("type") == "text" else settings.AGENT_IMAGE_TOKENS
                    for part in content)
    else:
        total = count(content or "")
    if message.get("tool_calls"):
        total += count(compact(message["tool_calls"]))
    return total + PER_MESSAGE


def tools_tokens(specs: list[dict]) -> int:
    return count(compact(specs)) if specs else 0


def request_tokens(messages: list[dict], specs: list[dict] | None = None) -> int:
    """The prompt tokens of one request: its messages and the tool schemas it offers."""
    return sum(message_tokens(m) for m in messages) + tools_tokens(specs or []) + PER_REQUEST


def cut(text: str, limit: int, *, marker: str = " …(cut)") -> str:
    """`text` in at most `limit` tokens, ending with `marker` when it was cut."""
    tokens = encoding().encode_ordinary(text or "")
    if len(tokens) <= limit:
        return text
    keep = max(0, limit - count(marker))
    return encoding().decode(tokens[:keep]).rstrip() + marker
