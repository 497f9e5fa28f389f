#!/usr/bin/env python
"""What a message costs in prompt tokens, per request, per role and conversation length; the worst
turn; and the first reply after a worker starts.

    .venv/bin/python bench/agent_tokens.py                    # everything (about a minute)
    .venv/bin/python bench/agent_tokens.py --lengths 1,20,100,300 --no-worker
    .venv/bin/python bench/agent_tokens.py --database-url postgres://root@127.0.0.1:5432/bench \\
        --broker-url redis://127.0.0.1:6379/11

Tokens: Django on a SQLite file in a temporary directory (or the empty database named by
--database-url), an OpenAI-compatible fake on 127.0.0.1 (tests/fakes/openai_server.py) and
`agent.runner.reply` called as the channel calls it. Every request the fake receives is counted with
the loop's own estimator (agent.tokens: o200k_base, exact for gpt-4o, gpt-4o-mini and gpt-4.1, via
bpe-openai's Rust tokenizer; tool schemas and tool calls counted as compact JSON, which errs high;
3 tokens per message and 3 per request, as OpenAI counts them). A conversation of length L holds
L-1 earlier turns, each a message, the tool calls of its role and a 60-word answer, with 30 records
of each kind on file (expenses for staff and managers, invoices for the customer) whose texts are
long. The measured turn is one more of the same. Printed per role and length: the requests of the
measured turn, their prompt tokens, the largest, and how many earlier messages the history kept.

Worst turn: a manager at the longest length whose model uses every tool round, each with two
parallel list_expenses calls over the 30 long expenses; printed: each request, their sum against
AGENT_TURN_PROMPT_TOKENS, and how many rounds the loop allowed.

First reply: `celery -A config worker` (prefork, one pool process, as the Procfile runs it) started
afresh, with Graph played by tests/fakes/graph_server.py; a stored message is queued the moment the
worker says it is ready, and the time until the reply reaches Graph is measured, then a second
message's. Both with AGENT_WARM_UP on (the default) and off (the first message loads the assistant).
Targets: every request at most AGENT_MAX_PROMPT_TOKENS (3,000), the worst turn within its budget, the
first reply as quick as the second (within 0.5 s).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PHONE_NUMBER_ID = "100200300"
INBOUND_TASK = re.compile(r"inbound_handle_task\[[^\]]+\] succeeded in ([0-9.]+)s")
ROLES = ("staff", "manager", "customer")
NUMBERS = {"staff": "16505551234", "manager": "16505551235", "customer": "16505551236"}
ANSWER = ("Saved expense #{n}: EUR 42.50 gross (EUR 35.71 net, EUR 6.79 tax), fuel, today. Your fuel this "
          "month comes to EUR 170.00 over four expenses; the largest was EUR 60.00 at the Aral station on "
          "the ring road. Tell me if anything should change.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", default="1,20,100", help="conversation lengths (default 1,20,100)")
    parser.add_argument("--database-url", default="", help="an empty database (default: SQLite in a temporary folder)")
    parser.add_argument("--broker-url", default="", help="the worker's broker (default: kombu's filesystem broker)")
    parser.add_argument("--no-worker", action="store_true", help="leave out the first-reply measurement")
    parser.add_argument("--starts", type=int, default=3, help="worker starts per setting (default 3)")
    args = parser.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]

    from tests.fakes.openai_server import FakeOpenAI

    fake = FakeOpenAI()
    workdir = Path(tempfile.mkdtemp(prefix="bench_tokens_"))
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir}/bench.sqlite3",
        "MEDIA_ROOT": str(workdir / "media"),
        "OPENAI_API_KEY": "bench-key",
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_MODEL": "fake-model",
        "OPENAI_MAX_RETRIES": "0",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": "bench-token",
        "WHATSAPP_APP_SECRET": "bench-secret",
        "AGENT_LIMIT_MESSAGES_PER_MINUTE": "0",
        "AGENT_LIMIT_MESSAGES_PER_DAY": "0",
        "AGENT_LIMIT_TOKENS_PER_DAY": "0",
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
    }
    if args.broker_url:
        env["CELERY_BROKER_URL"] = args.broker_url
    os.environ.update(env)
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)

    from django.conf import settings
    from django.core.management import call_command

    from agent.tokens import request_tokens

    call_command("migrate", verbosity=0)
    people = make_people()
    cap, budget = settings.AGENT_MAX_PROMPT_TOKENS, settings.AGENT_TURN_PROMPT_TOKENS
    print(f"agent tokens: estimator {settings.AGENT_TOKENIZER} (bpe-openai, Rust), cap {cap} per request, "
          f"turn budget {budget}, history {settings.AGENT_HISTORY_TOKENS}, tool result "
          f"{settings.AGENT_TOOL_RESULT_TOKENS} tokens / {settings.AGENT_TOOL_ROWS} rows")
    print(f"{'role':>9} {'length':>7} {'requests':>9} {'fixed':>6} {'prompt tokens per request':>27} {'max':>6} "
          f"{'history msgs':>13}")
    largest = 0
    for role in ROLES:
        conversation = new_conversation(people[role], role)
        made = 0
        for length in lengths:
            while made < length - 1:
                one_turn(fake, role, conversation, made)
                made += 1
            requests = one_turn(fake, role, conversation, made, keep=False)
            sizes = [request_tokens(r["messages"], r.get("tools")) for r in requests]
            fixed = request_tokens(requests[0]["messages"][:2], requests[0].get("tools"))
            history = len(requests[0]["messages"]) - 3  # system prompt, context, the person's message
            largest = max(largest, *sizes)
            print(f"{role:>9} {length:>7} {len(sizes):>9} {fixed:>6} {' / '.join(f'{s:,}' for s in sizes):>27} "
                  f"{max(sizes):>6,} {history:>13}")

    worst = worst_turn(fake, people["manager"], max(lengths))
    rounds = settings.AGENT_MAX_TOOL_ROUNDS
    print(f"worst turn (manager, length {max(lengths)}, the model calls two list_expenses in each of "
          f"{rounds} rounds): {len(worst)} requests, " + ", ".join(f"{s:,}" for s in worst)
          + f"; sum {sum(worst):,} of the budget {budget:,}; largest {max(worst):,}")
    within = largest <= cap and max(worst) <= cap and sum(worst) <= budget
    print(f"target: every request <= {cap:,} tokens and the worst turn <= {budget:,}: {'met' if within else 'NOT met'}")

    quick = True
    if not args.no_worker:
        from django.db import connection

        connection.close()
        quick = first_replies(env, people["staff"], fake, workdir, args.starts)
    fake.close()
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if within and quick else 1


def make_people():
    from accounts.models import User
    from tests.agent import factories

    people = {
        role: User.objects.create_user(username=f"bench-{role}", phone_number=f"+{NUMBERS[role]}", role=role,
                                       first_name=role.capitalize(), last_name="Bench")
        for role in ROLES
    }
    long_text = "fuel for the van on the way to the customer site, receipt in the glovebox, "
    acme = factories.customer(company_name="Acme Logistics GmbH", user=people["customer"])
    for n in range(30):
        factories.expense(by=people["staff"], description=f"{n} {long_text * 2}", merchant=f"Aral station {n}")
        factories.invoice(to=acme, by=people["staff"])
    return people


def new_conversation(user, role):
    """A conversation of `user` (a new number each time: one conversation per number)."""
    from whatsapp.models import Conversation

    number = f"{NUMBERS[role]}{Conversation.objects.count()}"
    return Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key=number, wa_id=number, user=user)


def script(fake, role: str, n: int) -> None:
    if role == "customer":
        fake.call(("my_invoices", {}))
    elif role == "manager":
        fake.call(("list_expenses", {"person": "Staff Bench", "period": "this year"}),
                  ("list_expenses", {"group_by": "category"}))
    else:
        fake.call(("record_expense", {"gross": "42.50", "category": "fuel", "description": f"fuel {n}"}),
                  ("list_expenses", {"category": "fuel", "period": "this month"}))
    fake.reply(ANSWER.format(n=n))


def one_turn(fake, role, conversation, n: int, *, keep: bool = True, text: str = "") -> list[dict]:
    """One turn as the channel runs it (scripted for `role`, unless `role` is empty); returns the
    requests the model received. Without `keep`, what it made is deleted afterwards, so the
    conversation keeps its length."""
    from django.utils import timezone

    from agent import runner
    from whatsapp.models import Message

    fake.chat_requests.clear()
    if role:
        script(fake, role, n)
    inbound = Message.objects.create(
        conversation=conversation, direction=Message.Direction.INBOUND, type="text", wamid=f"wamid.{uuid.uuid4().hex}",
        text=text or f"spent 42.50 on fuel, and how much fuel this month? turn {n}", timestamp=timezone.now(),
        status=Message.Status.RECEIVED)
    answer = runner.reply(conversation, inbound)
    outbound = Message.objects.create(
        conversation=conversation, direction=Message.Direction.OUTBOUND, type="text", text=answer.text,
        timestamp=timezone.now(), status=Message.Status.SENT, in_reply_to=inbound)
    requests = list(fake.chat_requests)
    if not keep:
        undo(inbound, outbound)
    return requests


def undo(inbound, outbound):
    from agent.models import AgentTurn, Expense, ToolCall

    Expense.objects.filter(source_message=inbound).delete()
    ToolCall.objects.filter(message=inbound).delete()
    AgentTurn.objects.filter(message=inbound).delete()
    outbound.delete()
    inbound.delete()


def worst_turn(fake, manager, length: int) -> list[int]:
    from django.conf import settings

    from agent.tokens import request_tokens

    conversation = new_conversation(manager, "manager")
    for n in range(length - 1):
        one_turn(fake, "manager", conversation, n)
    fake.chat_requests.clear()
    fake.script.clear()
    for _ in range(settings.AGENT_MAX_TOOL_ROUNDS + 1):
        fake.call(("list_expenses", {}), ("list_expenses", {"offset": 10}))
    fake.script.append(("text", ANSWER.format(n=0)))
    requests = one_turn(fake, "", conversation, length, keep=False,
                        text="go through every expense on file, all of them, page by page")
    fake.script.clear()
    return [request_tokens(r["messages"], r.get("tools")) for r in requests]


def first_replies(env: dict, staff, fake, workdir: Path, starts: int) -> bool:
    """Start a worker afresh, queue a message the moment it is ready, time its reply; then a second."""
    from django.utils import timezone

    from tests.brokers import WorkerProcess
    from tests.fakes.graph_server import GraphServer
    from whatsapp.models import Message
    from whatsapp.tasks import inbound_handle_task

    from django.conf import settings

    for key in ("data_folder_in", "processed_folder", "control_folder"):  # the filesystem broker's folders
        if key in settings.CELERY_BROKER_TRANSPORT_OPTIONS:
            os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)
    conversation = new_conversation(staff, "staff")
    conversation.last_inbound_at = timezone.now()  # the 24-hour window is open: replies go out as text
    conversation.save()
    results = {}
    with GraphServer() as graph:
        for warm in ("1", "0"):
            firsts, seconds, readies, task_firsts, task_seconds = [], [], [], [], []
            for start in range(starts):
                worker_env = {**os.environ, **env, "AGENT_WARM_UP": warm, "WHATSAPP_API_BASE_URL": graph.url}
                log = workdir / f"worker-{warm}-{start}.log"
                started = time.monotonic()
                worker = WorkerProcess(broker_url=worker_env.get("CELERY_BROKER_URL", "filesystem://"),
                                       queue=env["CELERY_TASK_DEFAULT_QUEUE"], env=worker_env, log=log,
                                       concurrency=1)
                try:
                    worker.wait_ready(timeout=120)
                    readies.append(time.monotonic() - started)
                    for times in (firsts, seconds):
                        fake.script.clear()
                        fake.reply("Noted.")
                        sent = len(graph.texts())
                        message = Message.objects.create(
                            conversation=conversation, direction=Message.Direction.INBOUND, type="text",
                            wamid=f"wamid.{uuid.uuid4().hex}", text="hello", timestamp=timezone.now(),
                            status=Message.Status.RECEIVED)
                        queued = time.monotonic()
                        inbound_handle_task.delay(message.pk)
                        graph.wait_for(lambda: len(graph.texts()) > sent, timeout=60)
                        times.append(time.monotonic() - queued)
                    time.sleep(1)  # the sends' own follow-up tasks finish before the worker stops
                finally:
                    worker.stop()
                handled = [float(t) for t in INBOUND_TASK.findall(worker.output())]
                task_firsts.append(handled[0])
                task_seconds.append(handled[1])
            results[warm] = (readies, firsts, seconds, task_firsts, task_seconds)
    print("first reply after a worker start (prefork, one pool process; seconds from queueing the message to "
          "the reply at Graph, median of "
          f"{starts} starts):")
    print(f"{'warm-up':>9} {'start to ready':>15} {'first reply':>12} {'second reply':>13} "
          f"{'first task':>11} {'second task':>12}")
    for warm, (readies, firsts, seconds, task_firsts, task_seconds) in results.items():
        print(f"{'on' if warm == '1' else 'off':>9} {statistics.median(readies):>15.2f} "
              f"{statistics.median(firsts):>12.2f} {statistics.median(seconds):>13.2f} "
              f"{statistics.median(task_firsts):>11.2f} {statistics.median(task_seconds):>12.2f}")
    print("(task: the worker's own time for the inbound task, from its log: read receipt, the turn, the "
          "reply queued; the reply itself is the next task)")
    readies, firsts, seconds, _, _ = results["1"]
    quick = statistics.median(firsts) - statistics.median(seconds) <= 0.5
    print(f"target: with warm-up the first reply within 0.5 s of the second: {'met' if quick else 'NOT met'}")
    return quick


if __name__ == "__main__":
    sys.exit(main())
