"""An optional Prometheus endpoint for operators: queue depth per state, message counts,
draft latency, delivery errors and open alerts, read from the store at each scrape (so every
worker process reports the same shared truth)."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web

from bot.store.reporting import scrape_figures
from bot.store.store import Store

log = logging.getLogger(__name__)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


async def exposition(store: Store) -> str:
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(f"{name}{labels} {value:g}" for labels, value in samples)

    counts = await store.status_counts()
    for section, label in (("messages", "stage"), ("drafts", "status"), ("outbox", "status")):
        metric(
            f"tactline_{section}",
            "gauge",
            f"{section} by {label}",
            [(f'{{{label}="{_label(k)}"}}', float(v)) for k, v in sorted(counts[section].items())],
        )
    jobs = []
    for key, value in sorted(counts["jobs"].items()):
        kind, _, status = key.partition("/")
        jobs.append((f'{{kind="{_label(kind)}",status="{_label(status)}"}}', float(value)))
    metric("tactline_jobs", "gauge", "queue depth per job kind and state", jobs)
    figures = await scrape_figures(store.db, draft_window=timedelta(hours=1))
    metric(
        "tactline_messages_received_total",
        "counter",
        "messages stored, by platform",
        [(f'{{platform="{_label(p)}"}}', float(n)) for p, n in figures.messages_by_platform],
    )
    ordered = sorted(figures.draft_seconds)
    quantiles = []
    for q in (0.5, 0.95):
        if ordered:
            quantiles.append(
                (f'{{quantile="{q}"}}', ordered[min(len(ordered) - 1, int(q * len(ordered)))])
            )
    metric("tactline_draft_seconds", "summary", "draft latency over the last hour", quantiles)
    lines.append(f"tactline_draft_seconds_count {len(ordered)}")
    metric(
        "tactline_delivery_errors",
        "gauge",
        "outbox rows whose last attempt failed",
        [("", float(figures.delivery_errors))],
    )
    metric(
        "tactline_open_alerts",
        "gauge",
        "open alerts by kind",
        [(f'{{kind="{_label(k)}"}}', float(n)) for k, n in figures.open_alerts_by_kind],
    )
    return "\n".join(lines) + "\n"


async def start_metrics_server(store: Store, host: str, port: int) -> web.AppRunner:
    async def handle(_: web.Request) -> web.Response:
        return web.Response(
            text=await exposition(store), content_type="text/plain", charset="utf-8"
        )

    app = web.Application()
    app.router.add_get("/metrics", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("Prometheus metrics on http://%s:%d/metrics", host, port)
    return runner
