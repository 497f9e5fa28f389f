"""Back-off schedules. Every countdown stays far below the Redis visibility timeout (1 h)."""

import random

MAX_COUNTDOWN = 300


def backoff_seconds(attempt: int, *, base: float = 5.0, cap: float = MAX_COUNTDOWN) -> float:
    """Exponential back-off with jitter: about 5, 10, 20 ... 300 s, each scaled by 0.5-1.0."""
    delay = min(cap, base * 2 ** min(30, max(0, attempt - 1)))  # the exponent capped: no overflow
    return delay * random.uniform(0.5, 1.0)


def pair_limit_seconds(attempt: int) -> float:
    """131056, too many messages to one person: Meta asks for 4^n seconds."""
    return min(MAX_COUNTDOWN, 4 ** min(10, max(1, attempt))) + random.uniform(0, 1)
