"""Build the service from its config (`correlator.yaml`) and run it until SIGTERM/SIGINT."""

from __future__ import annotations

import dataclasses
import importlib
import logging
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from minisoc.correlator.clients.opensearch import open_client
from minisoc.correlator.config import CorrelatorConfig, KafkaConfig
from minisoc.correlator.export import ExportBudget
from minisoc.correlator.intel.intel_file import IntelFileSource
from minisoc.correlator.intel.misp_feed import MispFeedSource
from minisoc.correlator.intel.warninglists import load_warninglists
from minisoc.correlator.kafka.open import open_log_source, open_topic_intel
from minisoc.correlator.kafka.settings import KafkaSettings
from minisoc.correlator.model import Alert, Sighting
from minisoc.correlator.service.housekeeping import RotatedLogs
from minisoc.correlator.service.http import StatusServer
from minisoc.correlator.service.inputs import InputState, InputTails
from minisoc.correlator.service.intel_set import IntelSet
from minisoc.correlator.service.loop import CorrelatorService, ServiceParts
from minisoc.correlator.service.metrics import ServiceMetrics
from minisoc.correlator.service.retro_queue import RETRO_QUEUE_FILE, RetroQueue
from minisoc.correlator.sinks.buffer import (
    BufferedAlertSink,
    BufferedSightingSink,
    BufferedWriter,
    DurableBuffer,
)
from minisoc.correlator.sinks.open import open_configured_store
from minisoc.correlator.sinks.opensearch_bulk import BulkDoc
from minisoc.correlator.sinks.opensearch_logs import ZeekLogIndexer
from minisoc.correlator.sinks.sightings import LogSightingSink, MispSightingSink
from minisoc.correlator.typing import IntelSource, LogSource, SightingSink
from minisoc.correlator.zeek.checkpoint import CHECKPOINT_FILE_NAME
from minisoc.correlator.zeek.deadletter import DeadLetter
from minisoc.correlator.zeek.tail import LogTailer
from minisoc.errors import UsageError

log = logging.getLogger(__name__)
LOG_BUFFER_MAX_BYTES = 512 << 20  # Zeek logs waiting for OpenSearch; beyond this the tail pauses
SINK_RETRY_COOLDOWN_S = 5.0  # a sink that failed is not tried again for this long (batches are buffered)


def intel_sources(config: CorrelatorConfig) -> list[IntelSource]:
    """One IntelSource per configured feed, Zeek intel file and MISP server."""
    state = config.state_dir / "intel-sources"
    misp_url = config.intel.misp.url if config.intel.misp else None
    sources: list[IntelSource] = [
        MispFeedSource(feed.name, feed.url, state, misp_base_url=misp_url) for feed in config.intel.feeds
    ]
    sources.extend(IntelFileSource(path) for path in config.intel.zeek_intel_files)
    if config.intel.misp is not None:
        sources.append(_misp_api_source(config, state))
    return sources


def _misp_api_source(config: CorrelatorConfig, state: Path) -> IntelSource:
    """The MISP REST API source (built by the intel module; looked up by name so this module stays light)."""
    try:
        module = importlib.import_module("minisoc.correlator.intel.misp_api")
    except ImportError as error:
        raise UsageError(
            "intel.misp: the MISP API source is not available in this build",
            "use MISP feeds (intel.feeds) instead",
        ) from error
    source: IntelSource = module.MispApiSource(config.intel.misp, state)
    return source


def input_tailers(config: CorrelatorConfig, metrics: ServiceMetrics,
                  ) -> dict[str, tuple[LogTailer, InputState]]:
    """A tailer per enabled input (syslog, netflow), each with its own checkpoint and dead letters."""
    found: dict[str, tuple[LogTailer, InputState]] = {}
    for name, given in (("syslog", config.inputs.syslog), ("netflow", config.inputs.netflow)):
        if given is None:
            continue
        state = InputState(given.dir)
        tailer = LogTailer(given.dir, config.state_dir / f"tail-{name}", batch_lines=config.logs.batch_lines,
                           dead_letter=DeadLetter(config.state_dir / f"dead-letter-{name}.jsonl"),
                           stats=state.stats)
        found[name] = (tailer, state)
        metrics.inputs[name] = state
    return found


def kafka_settings(config: KafkaConfig) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=tuple(config.bootstrap_servers), security_protocol=config.security_protocol,
        username=config.username, password_file=config.password_file, ca_file=config.ca_file,
        group_id=config.group_id, client_id=config.client_id, session_timeout_ms=config.session_timeout_ms,
    )


def kafka_sources(config: CorrelatorConfig, kafka: KafkaConfig,
                  metrics: ServiceMetrics) -> tuple[LogSource, Sequence[IntelSource]]:
    """The log source (a member of the correlators' group) and the intel sources (the intel topic, unless
    `intel_role: off`) of a replica in Kafka mode (docs/kafka-consumer.md)."""
    settings = kafka_settings(kafka)
    dead_letter = DeadLetter(config.state_dir / "dead-letter.jsonl")
    source = open_log_source(settings, kafka.topics, batch_lines=config.logs.batch_lines,
                             dead_letter=dead_letter, stats=metrics.read)
    metrics.consumer = source.status
    if kafka.intel_role == "off":
        return source, intel_sources(config)
    leader = None
    if kafka.intel_role == "leader":  # its sources' sets, kept apart from the loop's (read from the topic)
        leader = (intel_sources(config), IntelSet(config.state_dir / "intel-leader"))
    topic_intel = open_topic_intel(settings, kafka.intel_topic, leader=leader)
    source.ready = lambda: topic_intel.ready  # no partitions taken before the leader's set is loaded
    return source, topic_intel


def build_parts(config: CorrelatorConfig) -> ServiceParts:
    state = config.state_dir
    state.mkdir(parents=True, exist_ok=True)
    metrics = ServiceMetrics()
    if config.kafka is not None:
        return _with_kafka(build_files_parts(config, metrics, kafka=True), config, config.kafka)
    return build_files_parts(config, metrics)


def _with_kafka(parts: ServiceParts, config: CorrelatorConfig, kafka: KafkaConfig) -> ServiceParts:
    log_source, sources = kafka_sources(config, kafka, parts.metrics)
    # no log directory to tail, gzip or retro-hunt in (the retro-hunt searches the log index); a replica's
    # first intel load needs no retro-hunt: the group reads the retained logs anyway. Only the intel leader
    # (or a replica syncing its own intel) retro-hunts new indicators: followers would repeat its hunt
    return dataclasses.replace(parts, log_source=log_source, sources=sources, input_dirs=(),
                               housekeeping=None, retro_on_first_load=False,
                               retro_hunts=kafka.intel_role != "follower")


def build_files_parts(config: CorrelatorConfig, metrics: ServiceMetrics, *,
                      kafka: bool = False) -> ServiceParts:
    """The parts of a replica reading its log directory (with `kafka`, everything but the sources)."""
    state = config.state_dir
    tail_state = state / "tail"
    tail_fresh = not (tail_state / CHECKPOINT_FILE_NAME).exists()
    tailer = LogTailer(
        config.logs.dir,
        tail_state,
        batch_lines=config.logs.batch_lines,
        dead_letter=DeadLetter(state / "dead-letter.jsonl"),
        stats=metrics.read,
    )
    log_source: LogSource = tailer
    inputs = {} if kafka else input_tailers(config, metrics)
    if inputs:
        log_source = InputTails(tailer, inputs)
    alerts = BufferedAlertSink(
        open_configured_store(config),
        DurableBuffer(state / "buffer" / "alerts", Alert),
        cooldown_s=SINK_RETRY_COOLDOWN_S,
    )

    sightings: SightingSink | None = None
    if config.sightings.enabled:
        inner: SightingSink = MispSightingSink(config.intel.misp) if config.intel.misp else LogSightingSink()
        metrics.sightings["sent"] = lambda: int(getattr(inner, "sent", 0))
        metrics.sightings["refused"] = lambda: int(getattr(inner, "refused", 0))
        sightings = BufferedSightingSink(
            inner, DurableBuffer(state / "buffer" / "sightings", Sighting), cooldown_s=SINK_RETRY_COOLDOWN_S
        )
    log_index = None
    opensearch = config.sink.opensearch
    if config.sink.kind == "opensearch" and opensearch is not None and opensearch.index_logs:
        indexer = ZeekLogIndexer(
            open_client(opensearch),
            opensearch.logs_index_prefix,
            rejected_path=state / "rejected-logs.jsonl",
            on_counts=metrics.count_log_index,
        )
        buffer = DurableBuffer(state / "buffer" / "zeek-logs", BulkDoc, max_bytes=LOG_BUFFER_MAX_BYTES)
        log_index = (
            indexer,
            BufferedWriter("Zeek log index", indexer.write, buffer, cooldown_s=SINK_RETRY_COOLDOWN_S),
        )
    keeping = config.logs.housekeeping
    housekeeping = None
    if keeping is not None:
        housekeeping = RotatedLogs(
            config.logs.dir, tailer.checkpoint_path, retention_days=keeping.retention_days,
            compress=keeping.compress, interval_s=keeping.interval_s,
        )
    return ServiceParts(
        site=config.site,
        sources=[] if kafka else intel_sources(config),
        intel=IntelSet(state / "intel"),
        log_source=log_source,
        alerts=alerts,
        log_dir=config.logs.dir,
        input_dirs=tuple(state.directory for _, state in inputs.values()),
        sightings=sightings,
        log_index=log_index,
        export_path=config.export.zeek_intel_path,
        export_budget=(ExportBudget(config.export.max_items, config.export.policy)
                       if config.export.max_items is not None else None),
        sync_interval_s=config.intel.sync_interval_s,
        poll_interval_s=config.logs.poll_interval_s,
        retro_hunt_days=config.intel.retro_hunt_days,
        retro_on_first_load=not tail_fresh,
        retro_queue=RetroQueue(state / RETRO_QUEUE_FILE),
        metrics=metrics,
        warninglists=load_warninglists(config.intel.warninglists) if config.intel.warninglists else None,
        housekeeping=housekeeping,
        ignore_notices=tuple(config.logs.ignore_notices),
    )


def run_service(config: CorrelatorConfig, *, ready: threading.Event | None = None) -> None:
    """Run until SIGTERM or SIGINT: the batch in hand is finished and committed, then everything closes."""
    service = CorrelatorService(build_parts(config))
    server = StatusServer(config.http.bind, config.http.port, service.health, service.metrics.render)
    server.start()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: finishing the current batch, then stopping", signum)
        service.stop_requested.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info(
        "correlator for site %s: /healthz and /metrics on %s:%d", config.site, config.http.bind, server.port
    )
    if ready is not None:
        ready.set()
    try:
        service.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
        service.parts.alerts.close()
        close = getattr(service.parts.log_source, "close", None)
        if callable(close):
            close()
        log.info("correlator stopped")
