"""No cold start: a worker process loads the assistant when it starts, before its first message."""

from celery.signals import worker_init, worker_process_init

from agent import llm, tokens
from agent.tools import REGISTRY
from agent.warm import warm_up_process, warm_up_worker


def forget_what_was_loaded():
    tokens._tokenizer.cache_clear()
    tokens._text_tokens.cache_clear()
    llm._client.cache_clear()
    for tool in REGISTRY.values():
        tool.__dict__.pop("parameters", None)


def test_a_pool_process_loads_the_tokenizer_the_tool_schemas_and_the_openai_client_when_it_starts(settings, db):
    settings.OPENAI_API_KEY = "test-openai-key"
    forget_what_was_loaded()
    [(_, outcome)] = [(r, o) for r, o in worker_process_init.send_robust(sender="worker@test")
                      if r is warm_up_process]
    assert outcome is None  # it ran to the end (Celery logs a receiver's error and goes on)
    assert tokens._tokenizer.cache_info().currsize == 1
    assert tokens._text_tokens.cache_info().currsize == 3  # the schemas of each role, counted
    assert all("parameters" in tool.__dict__ for tool in REGISTRY.values())
    assert llm._client.cache_info().currsize == 1


def test_the_main_worker_process_loads_all_but_the_client_before_it_forks(settings):
    settings.OPENAI_API_KEY = "test-openai-key"
    forget_what_was_loaded()
    # Sent by the worker as it starts (sent here, Celery's own Django receiver would want a worker).
    assert warm_up_worker in [receiver for _, receiver in worker_init.receivers]
    warm_up_worker()
    assert tokens._tokenizer.cache_info().currsize == 1
    assert llm._client.cache_info().currsize == 0  # each pool process makes its own connection pool


def test_warm_up_can_be_turned_off(settings):
    settings.AGENT_WARM_UP = False
    forget_what_was_loaded()
    worker_process_init.send(sender="worker@test")
    assert tokens._tokenizer.cache_info().currsize == 0
