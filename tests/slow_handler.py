"""A reply handler for tests with a real worker process (WHATSAPP_REPLY_HANDLER="tests.slow_handler.reply").

Each turn takes TEST_TURN_SECONDS, as an assistant waiting for its model does, is written down in
the file TEST_TURN_LOG when it starts (so a test can tell a turn is in flight, and count the
turns), and answers with the text it was sent.
"""

import os
import time

from whatsapp.replies import Reply


def reply(conversation, message) -> Reply:
    log = os.environ.get("TEST_TURN_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(f"{message.wamid} pid={os.getpid()} at={time.time():.3f}\n")
    time.sleep(float(os.environ.get("TEST_TURN_SECONDS", "0")))
    return Reply(text=f"Answer to: {message.text}")


def turns(log) -> list[str]:
    """The wamids whose turns started, in order, from a TEST_TURN_LOG file."""
    try:
        with open(log) as handle:
            return [line.split()[0] for line in handle if line.strip()]
    except FileNotFoundError:
        return []
