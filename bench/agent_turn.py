#!/usr/bin/env python
"""Per-turn overhead of the assistant, with a model that answers at once.

    .venv/bin/python bench/agent_turn.py              # 200 timed turns at each length
    .venv/bin/python bench/agent_turn.py -n 50 --lengths 1,20,100,300
    .venv/bin/python bench/agent_turn.py --database-url postgres://root@127.0.0.1:5432/bench

What it does: Django on a SQLite file in a temporary directory (or the fresh, empty database named by
--database-url; migrated here, and its tables are left behind), an OpenAI-compatible
fake on 127.0.0.1 in this process (tests/fakes/openai_server.py) scripted to answer every turn with
two parallel tool calls (record_expense and list_expenses) and then a final Markdown answer, and
`agent.runner.reply` called directly, as the channel's inbound task calls it. So one timed turn is:
history and prompt built, two HTTP round trips through the real `openai` client, two tools run
through the registry, serializers, services and selectors, the ToolCalls and the AgentTurn saved,
the answer converted for WhatsApp. It leaves out what belongs to the channel (webhook, storing the
message, sending the reply).

A conversation of length L holds L-1 earlier turns before the timed one, each made the same way
(a message, two recorded tool calls, the assistant's reply stored as an outbound message), so the
history that is read, trimmed and replayed is real. After each timed turn its rows are deleted
(untimed) so every sample runs at the same length. Printed per length: p50, p99 and mean of the
turn's wall time, the p50 of the CPU time this process spent on it (the fake model's thread
included: steadier than wall time on a busy machine), and the database queries per turn (min-max
over the samples: constant is the target). Target: p50 under 30 ms, queries not growing with the
length.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--turns", type=int, default=200, help="timed turns per length (default 200)")
    parser.add_argument("--lengths", default="1,20,100", help="conversation lengths (default 1,20,100)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--database-url", default="",
                        help="an empty database to migrate and use (default: SQLite in a temporary directory)")
    args = parser.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]

    from tests.fakes.openai_server import FakeOpenAI

    fake = FakeOpenAI()
    workdir = tempfile.mkdtemp(prefix="bench_agent_")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir}/bench.sqlite3",
        "MEDIA_ROOT": f"{workdir}/media",
        "OPENAI_API_KEY": "bench-key",
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_MODEL": "fake-model",
        "OPENAI_MAX_RETRIES": "0",
        "DJANGO_DEBUG": "0",
    })
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)  # httpx logs every request; not what is measured

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from agent import runner
    from agent.models import AgentTurn, Expense, ToolCall
    from whatsapp.models import Conversation, Message

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(username="sheena", phone_number="+16505551234", first_name="Sheena",
                                    last_name="Nelson", role=User.Role.STAFF)
    counter = iter(range(1, 10**9))

    def script_turn(n: int) -> None:
        fake.chat_requests.clear()
        fake.call(("record_expense", {"gross": "42.50", "category": "fuel", "description": f"fuel {n}"}),
                  ("list_expenses", {"category": "fuel", "period": "this month"}))
        fake.reply(f"Saved expense **#{n}**: EUR 42.50 gross (EUR 35.71 net).")

    def turn(conversation) -> tuple[float, int]:
        """One turn as the channel runs it: the inbound message stored, the handler timed, the reply stored."""
        n = next(counter)
        now = timezone.now()
        inbound = Message.objects.create(
            conversation=conversation, direction=Message.Direction.INBOUND, type="text", wamid=f"wamid.bench{n}",
            text=f"spent 42.50 on fuel, turn {n}", timestamp=now, status=Message.Status.RECEIVED)
        script_turn(n)
        connection.queries_log.clear()  # a full log (9000) would make the count wrong
        with CaptureQueriesContext(connection) as queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            answer = runner.reply(conversation, inbound)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        assert answer is not None and answer.text.startswith("Saved expense *#"), answer
        Message.objects.create(
            conversation=conversation, direction=Message.Direction.OUTBOUND, type="text", text=answer.text,
            timestamp=timezone.now(), status=Message.Status.SENT, in_reply_to=inbound, sent_by=None)
        return elapsed, len(queries.captured_queries), cpu

    print(f"agent turn benchmark: {connection.vendor} database, fake model at {fake.base_url}, "
          f"{args.turns} timed turns per length, 2 tool calls + 1 answer per turn")
    print(f"{'length':>7} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'cpu p50':>8} {'queries/turn':>13}")
    results = {}
    for length in lengths:
        conversation = Conversation.objects.create(phone_number_id="bench", contact_key=f"c{length}",
                                                   wa_id="16505551234", user=user)
        for _ in range(length - 1):
            turn(conversation)
        for _ in range(args.warmup):
            _timed_then_undo(turn, conversation, Message, ToolCall, AgentTurn, Expense)
        samples = [_timed_then_undo(turn, conversation, Message, ToolCall, AgentTurn, Expense)
                   for _ in range(args.turns)]
        times = [s[0] * 1000 for s in samples]
        counts = [s[1] for s in samples]
        results[length] = (percentile(times, 50), percentile(times, 99), statistics.mean(times), min(counts),
                           max(counts))
        p50, p99, mean, qmin, qmax = results[length]
        queries = f"{qmin}" if qmin == qmax else f"{qmin}-{qmax}"
        cpu_p50 = percentile([s[2] * 1000 for s in samples], 50)
        print(f"{length:>7} {p50:>8.1f} {p99:>8.1f} {mean:>8.1f} {cpu_p50:>8.1f} {queries:>13}")

    fake.close()
    connection.close()
    shutil.rmtree(workdir, ignore_errors=True)
    p50_ok = all(r[0] < 30 for r in results.values())
    # Length 1 has no history, so the query for earlier tool calls is skipped: one query less.
    with_history = [(r[3], r[4]) for length, r in results.items() if length > 1]
    constant = len(set(with_history)) <= 1 and all(low == high for low, high in with_history)
    print(f"target p50 < 30 ms: {'met' if p50_ok else 'NOT met'}; "
          f"queries per turn constant across lengths with history: {'yes' if constant else 'NO'}")
    return 0 if p50_ok and constant else 1


def _timed_then_undo(turn, conversation, Message, ToolCall, AgentTurn, Expense):
    """Time one turn, then delete what it created (untimed) so the conversation keeps its length."""
    mark_message = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
    mark_expense = Expense.objects.order_by("-id").values_list("id", flat=True).first() or 0
    mark_turn = AgentTurn.objects.order_by("-id").values_list("id", flat=True).first() or 0
    result = turn(conversation)
    ToolCall.objects.filter(turn_id__gt=mark_turn).delete()
    AgentTurn.objects.filter(id__gt=mark_turn).delete()
    Expense.objects.filter(id__gt=mark_expense).delete()
    Message.objects.filter(id__gt=mark_message).delete()
    return result


if __name__ == "__main__":
    sys.exit(main())
