"""Which kombu transport carries the Celery messages, and the Redis one with a kombu defect worked around.

The defect (kombu 5.7.0 with celery 5.7.0): when Redis goes away while late-acknowledged tasks are
in flight, the worker may exit with `Unrecoverable error: AttributeError("'NoneType' object has no
attribute 'hostname'")` instead of reconnecting; nothing restarts it, and every message after
that waits. How it happens, in kombu's own code:

1. Celery's consumer sees the connection error and calls `Connection.collect()`: it closes the
   default (task) channel, then `Transport.close_connection()` closes the others, then drops the
   transport's link to the connection (`transport.client = None`).
2. The task channel's first close fails draining the BRPOP in flight (ConnectionError, caught),
   before it is marked closed. `close_connection()` pops the channels one by one and stops at the
   first that raises: the remote-control (pidbox) channel, whose auto-delete fanout queue cannot
   be deleted without Redis. The task channel is never reached and stays open.
3. Celery then calls `Connection.close()`, which closes the task channel again. Its unacknowledged
   messages are to be put back (`QoS.restore_unacked`), which needs a new Redis connection pool,
   built from the transport's `client`: None by now. The AttributeError is neither a connection
   nor a channel error, so Celery treats it as fatal and the worker exits.

The workaround (a subclass, selected by CELERY_BROKER_TRANSPORT for redis:// URLs, see
`transport_for`): a channel whose transport has let go of its connection reports a connection
error when something asks it for a new Redis connection, which is what it is. Celery then
handles it as a connection loss: it finishes closing the old connection, reconnects, and the
worker keeps running. The messages it could not put back stay in Redis's unacknowledged set and
return after the visibility timeout, as kombu intends; the sweeper re-queues the work sooner.

Found by reproducing it (tests/whatsapp/test_broker_outage.py replays the sequence; the end-to-end
test there stops a real broker under a real worker). kombu's tracker has the same AttributeError
from other close paths (celery/kombu#582, #970); this one is not fixed in 5.7.0. Remove the
workaround (`_connparams`) when a kombu release fixes it: the test
`test_kombus_own_redis_transport_still_needs_the_workaround` starts failing then.

The same channel also keeps one Redis client while it is open, where kombu builds a new client
object for every command, every task sent included: 0.06 ms of the 0.33 ms a send costs
(bench/celery_send.py), some 4% of a message webhook. It uses the channel's own connection pool, as
kombu's clients do, follows it when a connection loss replaced it, and a closing channel goes
kombu's own way, so the sequence above is unchanged.
"""

from contextlib import contextmanager
from urllib.parse import urlsplit

from kombu.transport import redis

REDIS_TRANSPORT = "config.broker:RedisTransport"


def transport_for(broker_url: str) -> str | None:
    """The transport for a broker URL: ours for Redis, kombu's own (from the scheme) otherwise."""
    scheme = urlsplit(broker_url).scheme
    return REDIS_TRANSPORT if scheme in ("redis", "rediss") else None


class RedisChannel(redis.Channel):
    _client_kept = None  # the client conn_or_acquire hands out while the channel is open

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client is not None or self._closing or self.closed:
            with super().conn_or_acquire(client) as acquired:
                yield acquired
            return
        pool = self.pool  # a new one after a connection loss: the client follows it
        if self._client_kept is None or self._client_kept.connection_pool is not pool:
            self._client_kept = self._create_client()
        yield self._client_kept

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport is None or transport.client is None:
            raise redis.get_redis_ConnectionError()(
                "The broker connection of this channel is closed; it cannot open a new one.")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(redis.Transport):
    """kombu's Redis transport whose channels never crash the worker after a connection loss, and
    keep one Redis client each."""

    Channel = RedisChannel
