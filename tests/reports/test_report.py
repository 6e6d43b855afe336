"""Report figures from known synthetic history equal the ones computed by hand, and the HTML
report renders its charts in a real headless browser."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import insert

from bot.reports.metrics import Report, build_report, changed_share
from bot.reports.render import digest, to_html, write_csv
from bot.store import Store, open_store
from bot.store import schema as t

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def seed(store: Store) -> None:
    """Six messages over two days with exact timings.

    m1 discord question: draft +60 s, approved +300 s, posted +400 s after it was sent.
    m2 discord complaint (negative): draft +120 s, edited +600 s, posted +900 s.
    m3 telegram attack (toxic, urgent): draft +30 s, rejected "tone" +200 s.
    m4 slack legal (urgent): draft +90 s, still pending.
    m5 slack praise (positive): draft +10 s, autosent, posted +20 s.
    m6 discord spam: no draft.
    """
    rows = [
        (1, "discord", "help", "question", "neutral", False, "community", False, 0),
        (2, "discord", "general", "complaint", "negative", False, "community", False, 1),
        (3, "telegram", "chat", "attack", "negative", True, "community", True, 1),
        (4, "slack", "community", "legal_threat", "negative", False, "legal", True, 1),
        (5, "slack", "community", "praise", "positive", False, "community", False, 0),
        (6, "discord", "general", "spam", "neutral", False, "community", False, 0),
    ]
    async with store.begin() as conn:
        for mid, platform, channel, intent, sentiment, toxic, group, urgent, day in rows:
            sent = T0 + timedelta(days=day, minutes=mid)
            await conn.execute(
                insert(t.messages).values(
                    id=mid,
                    platform=platform,
                    channel_id=channel,
                    channel_name=channel,
                    platform_message_id=f"p{mid}",
                    author_id="a",
                    author_name="a",
                    author_is_bot=False,
                    text=f"message {mid}",
                    sent_at=sent,
                    received_at=sent,
                    raw={},
                    stage="decided",
                    language="en",
                    intent=intent,
                    sentiment=sentiment,
                    toxic=toxic,
                    toxicity=0.9 if toxic else 0.1,
                    flags=[],
                    confidence=0.9,
                    action="no_reply" if intent == "spam" else "reply",
                    group=group,
                    urgent=urgent,
                )
            )
        drafts = [
            (1, 60, "approved"),
            (2, 120, "posted"),
            (3, 30, "rejected"),
            (4, 90, "pending"),
            (5, 10, "posted"),
        ]
        for mid, after, status in drafts:
            sent = T0 + timedelta(days=rows[mid - 1][8], minutes=mid)
            await conn.execute(
                insert(t.drafts).values(
                    id=mid,
                    message_id=mid,
                    version=1,
                    text="We are sorry about the sync issue.",
                    status=status,
                    group=rows[mid - 1][6],
                    model="m",
                    notes=[],
                    created_at=sent + timedelta(seconds=after),
                )
            )
        approvals = [
            (1, "U1", 300, "approve", None, None),
            (2, "U2", 600, "edit", "Sorry about the sync issue, fixed now.", None),
            (3, "U1", 200, "reject", None, "tone"),
            (5, "policy:autosend", 15, "approve", None, None),
        ]
        for mid, actor, after, verdict, edited, reason in approvals:
            sent = T0 + timedelta(days=rows[mid - 1][8], minutes=mid)
            await conn.execute(
                insert(t.approvals).values(
                    draft_id=mid,
                    actor=actor,
                    at=sent + timedelta(seconds=after),
                    verdict=verdict,
                    edited_text=edited,
                    reason=reason,
                )
            )
        for mid, after in [(1, 400), (2, 900), (5, 20)]:
            sent = T0 + timedelta(days=rows[mid - 1][8], minutes=mid)
            platform, channel = rows[mid - 1][1], rows[mid - 1][2]
            await conn.execute(
                insert(t.outbox).values(
                    draft_id=mid,
                    idempotency_key=f"k{mid}",
                    platform=platform,
                    conversation={
                        "platform": platform,
                        "channel_id": channel,
                        "channel_name": channel,
                    },
                    text="x",
                    status="sent",
                    attempts=1,
                    created_at=sent,
                    sent_at=sent + timedelta(seconds=after),
                )
            )
        await conn.execute(
            insert(t.alerts).values(
                kind="legal",
                key="message:4",
                status="open",
                first_at=T0 + timedelta(days=1),
                last_at=T0 + timedelta(days=1),
                count=1,
                summary="Legal threat",
                detail={},
            )
        )


@pytest.fixture
async def report(db_url: str) -> AsyncIterator[Report]:
    store = await open_store(db_url, upgrade=True)
    await seed(store)
    yield await build_report(store, T0 - timedelta(hours=1), T0 + timedelta(days=2))
    await store.aclose()


async def test_figures_match_hand_computed(report: Report) -> None:
    r = report
    assert r.messages == 6
    assert r.by_intent["spam"] == 1 and sum(r.by_intent.values()) == 6
    assert r.by_day_platform[T0.date()] == {"discord": 2, "slack": 1}
    assert r.by_day_platform[(T0 + timedelta(days=1)).date()] == {
        "discord": 1,
        "telegram": 1,
        "slack": 1,
    }
    assert r.toxic_share == pytest.approx(1 / 6)
    assert r.toxic_share_by_day[(T0 + timedelta(days=1)).date()] == pytest.approx(1 / 3)
    # first drafts: discord 60 and 120 s; telegram 30; slack 90 and 10.
    assert r.time_to_first_draft["discord"].median == 90
    assert r.time_to_first_draft["slack"].median == 50
    # human decisions, from the draft: community 240 (m1), 480 (m2), 170 (m3); autosend apart.
    assert r.time_to_approval["community"].median == 240
    assert r.auto_sent == 1
    assert dict(r.verdicts) == {"approve": 1, "edit": 1, "reject": 1}
    assert r.rate("reject") == pytest.approx(1 / 3)
    assert r.rejection_reasons == {"tone": 1}
    expected_edit = changed_share(
        "We are sorry about the sync issue.", "Sorry about the sync issue, fixed now."
    )
    assert r.edit_change.median == pytest.approx(expected_edit)
    assert 0 < expected_edit < 1
    # first response: discord/community 400 and 900 s; slack/community 20 s.
    assert r.time_to_first_response["discord / community"].median == 650
    assert r.time_to_first_response["slack / community"].median == 20
    assert (r.critical, r.critical_answered, r.critical_handled) == (2, 0, 1)
    assert r.posts_by_channel == {"discord #help": 1, "discord #general": 1, "slack #community": 1}
    assert r.alerts == {"legal": 1}


async def test_csv_and_digest(report: Report, tmp_path: Path) -> None:
    paths = write_csv(report, tmp_path / "csv")
    names = sorted(p.name for p in paths)
    assert names == [
        "alerts.csv",
        "approvals.csv",
        "corrections_weekly.csv",
        "cost_weekly.csv",
        "drafts.csv",
        "learning_weekly.csv",
        "messages.csv",
        "moderator_time_weekly.csv",
        "outcome_replies.csv",
        "outcomes.csv",
        "posts.csv",
        "summary.csv",
        "topics.csv",
    ]
    lines = (tmp_path / "csv" / "messages.csv").read_text().splitlines()
    assert len(lines) == 7 and lines[0].startswith("id,platform,channel_id")
    text = digest(report)
    assert "Messages: 6" in text and "Critical messages handled: 1/2" in text


async def test_topics_in_the_report_csv_and_digest(db_url: str, tmp_path: Path) -> None:
    """The E1023 bug said in English and French is one topic: in the HTML report's topics
    section, the CSV's topics table and the digest's top topics for product."""
    store = await open_store(db_url, upgrade=True)
    await seed(store)
    texts = [
        ("Sync fails on Android with error E1023 whenever a note has an image", "en"),
        ("E1023 again on my Android phone, sync is stuck forever", "en"),
        ("La synchro plante sur Android avec l'erreur E1023 dès qu'il y a une image", "fr"),
    ]
    async with store.begin() as conn:
        for n, (text, language) in enumerate(texts):
            at = T0 + timedelta(hours=3 + n)
            await conn.execute(
                insert(t.messages).values(
                    id=10 + n,
                    platform="discord",
                    channel_id="bugs",
                    channel_name="bugs",
                    platform_message_id=f"b{n}",
                    author_id="b",
                    author_name="b",
                    author_is_bot=False,
                    text=text,
                    sent_at=at,
                    received_at=at,
                    raw={"permalink": f"https://discord.com/channels/1/2/{n}"},
                    stage="decided",
                    language=language,
                    intent="bug_report",
                    sentiment="negative",
                    toxic=False,
                    group="product",
                )
            )
    r = await build_report(store, T0 - timedelta(hours=1), T0 + timedelta(days=2))
    await store.aclose()
    assert r.topics is not None
    bug = next(tp for tp in r.topics.topics if "E1023" in tp.keywords)
    assert bug.size == 3 and bug.group == "product" and "E1023" in bug.keywords
    html = to_html(r)
    assert "<h2>Topics</h2>" in html and "Topic sizes per day" in html
    assert "Sentiment per topic" in html
    assert "href='https://discord.com/channels/1/2/" in html
    write_csv(r, tmp_path)
    with (tmp_path / "topics.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    row = next(row for row in rows if "E1023" in row["label"])
    assert row["size"] == "3" and row["group"] == "product" and row["negative"] == "3"
    text = digest(r)
    assert f"• Top topics for product: {bug.label} (3, new)" in text
    assert "⚠ new in the last 49 hours: 3 messages about" in text


async def _evaluate(html: Path, expression: str) -> object:
    """Open ``html`` in headless Chromium and evaluate ``expression`` (a JSON string) once the
    page has loaded, over the DevTools protocol."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed (make test installs Debian's chromium package)")
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        proc = await asyncio.create_subprocess_exec(
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--window-size=900,1200",
            html.as_uri(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            for _ in range(300):
                if port_file.exists() and port_file.read_text().strip():
                    break
                await asyncio.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            async with aiohttp.ClientSession() as http:
                ws_url = None
                for _ in range(100):
                    pages = await (await http.get(f"http://127.0.0.1:{port}/json")).json()
                    found = [
                        p for p in pages if p.get("type") == "page" and p["url"].startswith("file:")
                    ]
                    if found:
                        ws_url = found[0]["webSocketDebuggerUrl"]
                        break
                    await asyncio.sleep(0.1)
                assert ws_url, "the page never opened"
                async with http.ws_connect(ws_url) as ws:
                    value: object = None
                    for n in range(100):  # until the page has loaded and laid out
                        guarded = f"document.readyState === 'complete' ? ({expression}) : '[]'"
                        await ws.send_json(
                            {
                                "id": n,
                                "method": "Runtime.evaluate",
                                "params": {"expression": guarded, "returnByValue": True},
                            }
                        )
                        reply = await ws.receive_json()
                        while reply.get("id") != n:  # skip protocol events
                            reply = await ws.receive_json()
                        value = json.loads(reply["result"]["result"]["value"])
                        if value:
                            break
                        await asyncio.sleep(0.1)
                    return value
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 10)


@pytest.mark.skipif(os.environ.get("TACTLINE_SKIP_BROWSER") == "1", reason="asked to skip")
async def test_html_report_renders_in_a_browser(report: Report, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(to_html(report), encoding="utf-8")
    result = await _evaluate(
        page,
        """JSON.stringify([...document.querySelectorAll('figure.chart')]
        .map(f => { const svg = f.querySelector('svg');
                    const box = svg ? svg.getBoundingClientRect() : null;
                    return {title: f.querySelector('figcaption').textContent,
                            width: box ? box.width : 0, height: box ? box.height : 0,
                            marks: svg ? [...svg.querySelectorAll('rect.bar, polyline.line')]
                              .filter(e => { const b = e.getBBox();
                                             return b.width > 0 || b.height > 0; }).length : 0};
        }))""",
    )
    assert isinstance(result, list), result
    charts = {c["title"]: c for c in result}
    for title in (
        "Messages per day by platform",
        "Messages by intent",
        "Sentiment share per day",
        "Toxic share per day",
        "Median time to first response (minutes) by platform and group",
        "Moderator decisions",
        "Replies posted per channel",
        "Topic sizes per day",
        "Sentiment per topic (messages)",
    ):
        chart = charts[title]
        assert chart["width"] > 300 and chart["height"] > 50, chart
        assert chart["marks"] > 0, chart
    assert charts["Messages per day by platform"]["marks"] == 5  # 2 days × platforms present


async def test_prometheus_exposition(db_url: str) -> None:
    from bot.reports.prometheus import start_metrics_server

    store = await open_store(db_url, upgrade=True)
    await seed(store)
    runner = await start_metrics_server(store, "127.0.0.1", 0)
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            text = await (await http.get(f"http://127.0.0.1:{port}/metrics")).text()
    finally:
        await runner.cleanup()
        await store.aclose()
    assert 'tactline_drafts{status="pending"} 1' in text
    assert 'tactline_messages_received_total{platform="discord"} 3' in text
    assert 'tactline_outbox{status="sent"} 3' in text
    assert 'tactline_open_alerts{kind="legal"} 1' in text
    assert "# TYPE tactline_jobs gauge" in text
