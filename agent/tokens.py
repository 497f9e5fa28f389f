"""Prompt tokens counted before a request is sent: what the caps in settings are measured in.

The count is exact for OpenAI's o200k_base encoding (gpt-4o, gpt-4o-mini, gpt-4.1, the o-series;
`AGENT_TOKENIZER` may name cl100k_base, gpt-4's) through bpe-openai's Rust tokenizer, whose wheel ships
the vocabularies (it counts as tiktoken does: compared on 3,000 texts when it was chosen): tiktoken
itself downloads them at run time, which a worker without internet cannot. Other
models' tokenizers (a local Llama) differ by some percent.

A chat message costs its text plus 3 tokens of framing, an answer 3 more to start (OpenAI's published
count). Tool schemas and tool calls are counted as their compact JSON, which errs high: the provider
renders them more tersely. An image part counts `AGENT_IMAGE_TOKENS`, what the provider bills for one
at `AGENT_IMAGE_DETAIL`.
"""

import importlib.machinery
import importlib.util
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings

PER_MESSAGE = 3
PER_REQUEST = 3


@lru_cache(maxsize=1)
def _bindings():
    """bpe-openai's Rust tokenizer, loaded without the package's Python wrapper: importing `bpe_openai`
    decodes, in Python, every vocabulary it ships (about 2 s and 80 MB per process), which the Rust
    tokenizer does not use (0.2 s and 65 MB for o200k_base)."""
    package = importlib.util.find_spec("bpe_openai")
    path = next(Path(package.origin).parent.glob("_bindings*.so"))
    name = "bpe_openai._bindings"
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, path, loader=loader))
    loader.exec_module(module)
    return module


@lru_cache(maxsize=2)
def _tokenizer(name: str):
    return _bindings().tokenizer_for_encoding(name)


def tokenizer():
    """The tokenizer, loaded once per process (a worker loads it when it starts: agent.warm)."""
    return _tokenizer(settings.AGENT_TOKENIZER)


def count(text: str) -> int:
    """Tokens of `text` as plain text (a special token's name counts as the text it is)."""
    return tokenizer().count(text) if text else 0


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
    return _text_tokens(compact(specs)) if specs else 0


@lru_cache(maxsize=16)
def _text_tokens(text: str) -> int:
    return count(text)  # the schemas of a role: the same text on every request


def request_tokens(messages: list[dict], specs: list[dict] | None = None) -> int:
    """The prompt tokens of one request: its messages and the tool schemas it offers."""
    return sum(message_tokens(m) for m in messages) + tools_tokens(specs or []) + PER_REQUEST


def cut(text: str, limit: int, *, marker: str = " …(cut)") -> str:
    """`text` in at most `limit` tokens, ending with `marker` when it was cut."""
    if count(text) <= limit:
        return text
    tokens = tokenizer().encode(text)
    keep = max(0, limit - count(marker))
    while keep:
        try:  # a cut inside a character's bytes does not decode: one token fewer
            shorter = tokenizer().decode(tokens[:keep]).rstrip() + marker
        except ValueError:
            shorter = ""
        if shorter and count(shorter) <= limit:
            return shorter
        keep -= 1
    return marker.strip()
