"""Prometheus metrics (prometheus-client): the service's state read from the database at each
scrape, so any process answers for the whole service, and this process's request latencies.

No personal data: counts, times and route templates only (``/children/{ref}``, never a child's
reference).  Request latencies are each web process's own; a scrape reaches one process, and
Prometheus sums what it sees of them over time.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy.engine import Engine

from pepflow.config import Config
from pepflow.service.readiness import readiness

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class ServiceCollector:
    """The gauges a monitor alerts on: the last sweep, the outbox, the relay, the schema."""

    def __init__(self, engine: Engine, config: Config, now: Callable[[], dt.datetime]):
        self.engine, self.config, self.now = engine, config, now

    def collect(self) -> Iterator:
        state = readiness(self.engine, self.config, self.now())
        yield GaugeMetricFamily("pepflow_ready", "1 when the database answers and its schema is current",
                                value=1 if state.ready else 0)
        if not state.ready and not state.notifications:
            return
        outbox = GaugeMetricFamily("pepflow_notifications", "Emails in the outbox, by status", labels=["status"])
        for status, count in state.notifications.items():
            outbox.add_metric([status], count)
        yield outbox
        yield GaugeMetricFamily("pepflow_oldest_pending_email_age_seconds",
                                "How long the oldest email waiting to be sent has waited",
                                value=state.oldest_pending_seconds or 0)
        yield GaugeMetricFamily("pepflow_relay_down", "1 while the mail relay is failing",
                                value=1 if state.relay_down_since else 0)
        last = state.last_sweep
        if last is not None:
            yield GaugeMetricFamily("pepflow_sweep_last_run_timestamp_seconds", "When the last day's sweep ran",
                                    value=last.swept_at.timestamp())
            yield GaugeMetricFamily("pepflow_sweep_last_duration_seconds", "How long the last day's sweep took",
                                    value=last.duration_ms / 1000)
            rows = GaugeMetricFamily("pepflow_sweep_last_rows", "The last sweep's deadlines with a step due, and "
                                     "the notifications it wrote and skipped", labels=["what"])
            for what in ("deadlines_due", "written", "skipped"):
                rows.add_metric([what], getattr(last, what))
            yield rows
        yield CounterMetricFamily("pepflow_history_rows", "Rows in the history (every event, import and "
                                  "disclosure recorded)", value=state.history_last_id)


def registry_for(engine: Engine, config: Config, now: Callable[[], dt.datetime]) -> tuple[CollectorRegistry, Histogram]:
    """A registry of its own per web application (tests make many), with the request histogram."""
    registry = CollectorRegistry()
    registry.register(ServiceCollector(engine, config, now))
    latency = Histogram("pepflow_request_duration_seconds", "Time to answer a request, by route",
                        ["route", "method", "status"], registry=registry, buckets=LATENCY_BUCKETS)
    return registry, latency
