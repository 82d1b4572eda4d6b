"""Build the worker: a Faust app wired to the runtime, the web routes and the metrics.

Nothing is built at import time: :func:`create_worker` takes the frozen settings and
returns a new app, so tests run several workers in one process tree with their own
settings.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, cast

import faust
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from config.loader import load_catalogue, load_scoring_params
from config.settings import KafkaSettings, Settings
from stream.codec import encode
from stream.metrics import Metrics
from stream.risk_metrics import RiskCollector
from stream.worker.broadcast import BroadcastReader
from stream.worker.faust_group import GroupApp, GroupConsumer
from stream.worker.inputs import InputReader, Inputs
from stream.worker.output import OutputProducer
from stream.worker.queries import one_score, top_scores
from stream.worker.reader_process import ProcessReader
from stream.worker.risk_view import risk_view
from stream.worker.runtime import Runtime
from stream.worker.scorer import Scorer
from stream.worker.state_store import StateStore

__all__ = ["GROUP_FETCH_BYTES", "Worker", "create_worker"]

_JSON = "application/json"
# What Faust's consumer may fetch per partition. It reads only its leader topic's small
# records, but its client also prefetches one response per input partition after each
# assignment and never hands it over (the runtime reads those itself): this bounds that
# buffer (a record batch larger than this is still returned whole, so nothing stalls).
GROUP_FETCH_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Worker:
    app: GroupApp
    runtime: Runtime
    registry: CollectorRegistry


def _credentials(kafka: KafkaSettings) -> Any:
    if kafka.security_protocol.startswith("SASL"):
        ssl_context = kafka.client_options().get("ssl_context")
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=kafka.sasl_password.value,
            mechanism=kafka.sasl_mechanism,
            ssl_context=ssl_context,
        )
    if kafka.security_protocol == "SSL":
        return faust.SSLCredentials(cafile=kafka.ssl_cafile or None)
    return None


def create_worker(settings: Settings, bootstrap: str, registry: CollectorRegistry) -> Worker:
    """A worker app for ``bootstrap`` (``host:port[,host:port]``) and its runtime."""
    worker, topics, kafka = settings.worker, settings.topics, settings.kafka
    catalogue = load_catalogue(settings.config_dir)
    params = load_scoring_params(settings.config_dir)
    metrics = Metrics.create(registry)
    (worker.data_dir / worker.app_id).mkdir(parents=True, exist_ok=True)
    app = GroupApp(
        worker.app_id,
        broker=[f"kafka://{server}" for server in bootstrap.split(",")],
        broker_credentials=_credentials(kafka),
        store="memory://",
        datadir=str(worker.data_dir / worker.app_id),
        web_host=worker.web_host,
        web_port=worker.web_port,
        topic_partitions=topics.partitions,
        topic_replication_factor=topics.replication_factor,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger=0.002,
        broker_max_poll_records=worker.batch_max_events,
        consumer_max_fetch_size=GROUP_FETCH_BYTES,
        # Offsets of our topics are committed by the runtime after each snapshot.
        broker_commit_every=10**9,
        # Standby replicas keep Faust's own assignor (not round robin), which gives one
        # worker partition p of every co-partitioned input topic.
        table_standby_replicas=1,
        broker_session_timeout=worker.session_timeout_s,
        broker_heartbeat_interval=worker.session_timeout_s / 5,
        web_in_thread=False,
    )
    client_options = kafka.client_options()
    scorer = Scorer.for_settings(settings, time.time)
    inputs: Inputs
    if worker.reader_process:
        inputs = ProcessReader(settings, bootstrap, scorer)
    else:
        inputs = InputReader.for_worker(settings, bootstrap, scorer.prepare_fetch)
    runtime = Runtime(
        settings,
        catalogue=catalogue,
        params=params,
        scorer=scorer,
        metrics=metrics,
        store=StateStore(topics.state, bootstrap, client_options),
        broadcast=BroadcastReader(
            (topics.licence_decisions, topics.news), bootstrap, client_options
        ),
        inputs=inputs,
        output=OutputProducer(bootstrap, client_options),
    )
    app.self_read_topics = runtime.topics
    _wire(app, runtime, settings)
    _routes(app, runtime, registry, catalogue.material_codes())
    return Worker(app, runtime, registry)


def _wire(app: GroupApp, runtime: Runtime, settings: Settings) -> None:
    inputs = app.topic(
        settings.topics.shipments,
        settings.topics.profiles,
        value_serializer="raw",
        key_serializer="raw",
    )

    # The agent subscribes the partitioned topics so that Faust's group assigns them;
    # their records never reach it: the runtime reads them itself (stream.worker.inputs).
    @app.agent(inputs, name="supplyrisk.partitioned-inputs")
    async def partitioned_inputs(stream: Any) -> None:
        async for _ in stream:  # pragma: no cover - the runtime reads these records
            pass

    async def assigned(sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
        await runtime.on_assigned(args[0])

    async def revoked(sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
        await runtime.on_revoked(args[0])

    async def broadcast() -> None:
        await runtime.run_broadcast(lambda: bool(app.should_stop))

    async def read_inputs() -> None:  # offsets are committed through the group's consumer
        await runtime.run_inputs(lambda: bool(app.should_stop), cast(GroupConsumer, app.consumer))

    app.on_partitions_assigned.connect(assigned)
    app.on_partitions_revoked.connect(revoked)
    app.task(broadcast)
    app.task(read_inputs)

    async def shutdown(sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
        await runtime.stop()

    app.on_before_shutdown.connect(shutdown)


def _routes(
    app: GroupApp, runtime: Runtime, registry: CollectorRegistry, materials: tuple[str, ...]
) -> None:
    # The view is copied on the event loop, then aggregated in a thread during the scrape.
    current = [risk_view((), materials)]
    registry.register(RiskCollector(lambda: current[0]))

    def answer(view: Any, status: int, body: Any) -> Any:
        return view.bytes(encode(body), content_type=_JSON, status=status)

    @app.page("/scores/{company}/{material}")
    async def score(view: Any, request: Any, company: str, material: str) -> Any:
        status, body = one_score(
            runtime.states.values(), company, material, request.query.get("as_of")
        )
        return answer(view, status, body)

    @app.page("/scores")
    async def scores(view: Any, request: Any) -> Any:
        return answer(view, *top_scores(runtime.states.values(), request.query))

    @app.page("/healthz")
    async def healthz(view: Any, request: Any) -> Any:
        return answer(view, 200, {"status": "ok"})

    @app.page("/readyz")
    async def readyz(view: Any, request: Any) -> Any:
        body = {"ready": runtime.ready, "partitions": sorted(runtime.states)}
        return answer(view, 200 if runtime.ready else 503, body)

    @app.page("/metrics")
    async def metrics(view: Any, request: Any) -> Any:
        # The risk collector aggregates arrays: keep that work off the event loop.
        current[0] = risk_view(runtime.states.values(), materials)
        payload = await asyncio.get_running_loop().run_in_executor(None, generate_latest, registry)
        # aiohttp refuses a charset inside content_type; a plain header carries it whole.
        return view.bytes(payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
