"""The NATS JetStream adapter (nats-py): the one place that talks to a ``nats-server``.

:class:`NodeLink` is the agent's link to its **local leaf** server (its stream
``POLL_<node>``, the mirror of the hub's ``PLAN`` bucket); :class:`HubLink` the centre's link
to the hub servers (the stream sourcing every leaf, the ``PLAN`` bucket, the durable pull
consumer). nats-py errors become :class:`ClusterError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    ExternalStream,
    KeyValueConfig,
    StorageType,
    StoreCompression,
    StreamConfig,
    StreamSource,
)

from provnet.pollers.cluster.messages import (
    MSG_ID_HEADER,
    MessageError,
    NodePlan,
    decode_plan,
    encode_plan,
    node_subjects,
)
from provnet.pollers.errors import PollerError

log = logging.getLogger(__name__)
PLAN_BUCKET = "PLAN"
PLAN_STREAM = f"KV_{PLAN_BUCKET}"
#: publishes are de-duplicated by ``Nats-Msg-Id`` within this window (s)
DUPLICATE_WINDOW_S = 3600.0


class ClusterError(PollerError):
    """The broker could not be reached or refused a request."""


def node_stream(node: str) -> str:
    """Name of a node's stream on its leaf."""
    return f"POLL_{node}"


async def connect(servers: Sequence[str], name: str, stop: asyncio.Event | None = None,
                  retry_s: float = 1.0) -> Client:
    """Connected client (reconnects forever afterwards); retries the first connect until
    ``stop``."""
    while True:
        try:
            return await nats.connect(list(servers), name=name, max_reconnect_attempts=-1,
                                      reconnect_time_wait=0.5, connect_timeout=2,
                                      allow_reconnect=True, ping_interval=5,
                                      max_outstanding_pings=2, error_cb=_error,
                                      disconnected_cb=_disconnected(name),
                                      reconnected_cb=_reconnected(name))
        except (nats.errors.Error, OSError) as exc:
            if stop is None or stop.is_set():
                raise ClusterError(f"cannot connect to {', '.join(servers)}: {exc}") from exc
            log.warning("NATS %s not answering (%s); retrying", ", ".join(servers), exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), retry_s)
            if stop.is_set():
                raise ClusterError("stopped before the broker answered") from exc


async def _error(exc: Exception) -> None:
    """nats-py's connection errors (a reconnect attempt refused...): one log line, no trace."""
    log.debug("NATS: %r", exc)


def _disconnected(name: str) -> Any:
    async def cb() -> None:
        log.warning("%s: disconnected from NATS; reconnecting", name)
    return cb


def _reconnected(name: str) -> Any:
    async def cb() -> None:
        log.info("%s: reconnected to NATS", name)
    return cb


async def _ensure_stream(js: Any, cfg: StreamConfig) -> None:
    try:
        await js.add_stream(cfg)
    except nats.js.errors.BadRequestError:  # exists with another config: update it
        await js.update_stream(cfg)


class NodeLink:
    """An agent's link to its local leaf server."""

    def __init__(self, nc: Client, node: str) -> None:
        self.nc, self.node = nc, node
        self.js = nc.jetstream(timeout=5.0)

    async def ensure(self, province: str, retention_h: float, max_bytes: int,
                     hub_domain: str) -> None:
        """The node's stream (file store, S2, de-dup window, sized in time) and the PLAN
        mirror (the agent keeps polling on its last plan while the hub is away)."""
        try:
            await _ensure_stream(self.js, StreamConfig(
                name=node_stream(self.node), subjects=[node_subjects(province, self.node)],
                storage=StorageType.FILE, duplicate_window=DUPLICATE_WINDOW_S,
                max_age=retention_h * 3600, max_bytes=max_bytes, discard=DiscardPolicy.OLD,
                compression=StoreCompression.S2, num_replicas=1))
            await _ensure_stream(self.js, self._mirror_config(hub_domain))
        except nats.errors.Error as exc:
            raise ClusterError(f"setting up the streams of {self.node}: {exc!r}") from exc

    async def reset_plan_mirror(self, hub_domain: str) -> None:
        """Create the PLAN mirror again, so it starts now instead of after the server's
        back-off (a mirror set up before the hub's bucket existed retries for tens of
        seconds). Only while the node has no plan at all: the mirror holds nothing to lose."""
        try:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await self.js.delete_stream(PLAN_STREAM)
            await _ensure_stream(self.js, self._mirror_config(hub_domain))
        except nats.errors.Error as exc:
            raise ClusterError(f"resetting the PLAN mirror: {exc!r}") from exc

    @staticmethod
    def _mirror_config(hub_domain: str) -> StreamConfig:
        return StreamConfig(name=PLAN_STREAM, storage=StorageType.FILE, num_replicas=1,
                            mirror=StreamSource(name=PLAN_STREAM, external=ExternalStream(
                                api=f"$JS.{hub_domain}.API")))

    async def read_plan(self) -> NodePlan | None:
        """The last plan of this node in the local mirror (None: none yet)."""
        try:
            msg = await self.js.get_last_msg(PLAN_STREAM, f"$KV.{PLAN_BUCKET}.{self.node}")
        except nats.js.errors.NotFoundError:
            return None
        except nats.errors.Error as exc:
            raise ClusterError(f"reading the plan: {exc!r}") from exc
        if not msg.data:
            return None
        try:
            return decode_plan(msg.data)
        except MessageError:
            log.exception("plan of %s cannot be read; keeping the last one", self.node)
            return None

    async def publish(self, subject: str, payload: bytes, msg_id: str,
                      timeout: float = 5.0) -> bool:
        """Store one message in the local stream; True if it was a duplicate."""
        try:
            ack = await self.js.publish(subject, payload, timeout=timeout,
                                        headers={MSG_ID_HEADER: msg_id})
        except nats.errors.Error as exc:
            raise ClusterError(f"publish {msg_id}: {exc!r}") from exc
        return bool(ack.duplicate)

    async def fill(self, max_bytes: int) -> float:
        """The local stream's fill level 0..1."""
        try:
            info = await self.js.stream_info(node_stream(self.node))
        except nats.errors.Error as exc:
            raise ClusterError(f"stream info: {exc!r}") from exc
        return min(1.0, info.state.bytes / max_bytes)

    async def close(self) -> None:
        """Drain and close."""
        await self.nc.close()


class HubLink:
    """The centre's link to the hub servers."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.js = nc.jetstream(timeout=10.0)
        self._sub: Any = None

    async def ensure(self, stream: str, nodes: Sequence[str], replicas: int,
                     retention_days: float) -> None:
        """The hub stream sourcing every node's leaf stream, and the PLAN bucket."""
        sources = [StreamSource(name=node_stream(n), external=ExternalStream(
            api=f"$JS.{n}.API")) for n in sorted(set(nodes))]
        try:
            await _ensure_stream(self.js, StreamConfig(
                name=stream, sources=sources, storage=StorageType.FILE,
                num_replicas=replicas, duplicate_window=DUPLICATE_WINDOW_S,
                max_age=retention_days * 86400, compression=StoreCompression.S2))
            await self.js.create_key_value(KeyValueConfig(
                bucket=PLAN_BUCKET, history=1, replicas=replicas, storage=StorageType.FILE))
        except nats.errors.Error as exc:
            raise ClusterError(f"setting up the hub stream {stream}: {exc!r}") from exc

    async def stalled_sources(self, stream: str, idle_s: float) -> list[str]:
        """Names of the sources of ``stream`` idle longer than ``idle_s`` (or inactive)."""
        try:
            info = await self.js.stream_info(stream)
        except nats.errors.Error as exc:
            raise ClusterError(f"stream info {stream}: {exc!r}") from exc
        return [s.name for s in info.sources or []
                if s.active is None or s.active < 0 or s.active > idle_s * 1e9]

    async def restart_source(self, stream: str, name: str) -> None:
        """Drop and re-add one source: the server sets up its source consumer again at once
        (instead of after its back-off) and resumes after the last message it holds from it;
        anything sourced twice is dropped by the hub's duplicate window (ids kept)."""
        try:
            info = await self.js.stream_info(stream)
            cfg = info.config
            sources = list(cfg.sources or [])
            keep = [s for s in sources if s.name != name]
            if len(keep) == len(sources):
                return
            cfg.sources = keep
            await self.js.update_stream(cfg)
            cfg.sources = sources
            await self.js.update_stream(cfg)
        except nats.errors.Error as exc:
            raise ClusterError(f"restarting source {name} of {stream}: {exc!r}") from exc

    async def read_plans(self) -> dict[str, NodePlan]:
        """Every node's current plan in the PLAN bucket."""
        out: dict[str, NodePlan] = {}
        try:
            kv = await self.js.key_value(PLAN_BUCKET)
            try:
                keys = await kv.keys()
            except nats.js.errors.NoKeysError:
                return out
            for key in keys:
                entry = await kv.get(key)
                if entry.value:
                    out[key] = decode_plan(entry.value)
        except nats.errors.Error as exc:
            raise ClusterError(f"reading the plans: {exc!r}") from exc
        return out

    async def put_plan(self, plan: NodePlan) -> None:
        """Write one node's plan (the node's leaf mirrors it)."""
        try:
            kv = await self.js.key_value(PLAN_BUCKET)
            await kv.put(plan.node, encode_plan(plan))
        except nats.errors.Error as exc:
            raise ClusterError(f"writing the plan of {plan.node}: {exc!r}") from exc

    async def subscribe(self, stream: str, durable: str, max_ack_pending: int,
                        ack_wait_s: float) -> None:
        """Bind the durable pull consumer (created on first use; resumes where it was)."""
        try:
            self._sub = await self.js.pull_subscribe(
                "", durable=durable, stream=stream, config=ConsumerConfig(
                    durable_name=durable, ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL, ack_wait=ack_wait_s,
                    max_ack_pending=max_ack_pending, max_deliver=-1))
        except nats.errors.Error as exc:
            raise ClusterError(f"consumer {durable} on {stream}: {exc!r}") from exc

    async def fetch(self, batch: int, timeout: float) -> list[Msg]:
        """Up to ``batch`` messages (empty when none came within ``timeout``)."""
        try:
            return list(await self._sub.fetch(batch, timeout=timeout))
        except TimeoutError:  # nats.errors.TimeoutError is one too
            return []
        except nats.errors.Error as exc:
            raise ClusterError(f"fetch: {exc!r}") from exc

    async def ack(self, msgs: Sequence[Msg]) -> None:
        """Acknowledge (after the sinks committed); a lost ack means a redelivery."""
        try:
            for m in msgs:
                await m.ack()
        except nats.errors.Error as exc:
            raise ClusterError(f"ack: {exc!r}") from exc

    async def close(self) -> None:
        """Close the connection."""
        await self.nc.close()
