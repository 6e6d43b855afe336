"""The approval app under test: the real Bolt app on 127.0.0.1 over HTTP, the local Slack
Web API server, the whole app (store, pipeline, worker) and a fake community platform."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from adapters.fake import FakeAdapter
from bot.app import App, AppParts, build_app
from bot.approval import ApprovalContext
from bot.config import ApprovalConfig, Config, DatabaseConfig, PoliciesConfig
from bot.domain import Platform
from bot.learning import TextEncoder
from bot.pipeline import ClassifierFactory
from bot.slack_approval import ApprovalTiming, SlackApproval, SlackCredentials
from bot.store import open_store
from models.base import Drafter
from tests.doubles import RuleClassifier, TemplateDrafter
from tests.servers.slack import SlackServer

REPO = Path(__file__).resolve().parents[2]
SECRET = "test-signing-secret"


@dataclass
class Env:
    app: App
    fake: FakeAdapter
    slack: SlackServer
    approval: SlackApproval
    url: str
    last_body: str = ""  # the body of the last answer to a signed request (ack payloads)

    async def drain(self) -> None:
        await asyncio.wait_for(self.app.worker.drain(), 60)

    async def post(self, payload: dict[str, Any], *, secret: str = SECRET, age: float = 0) -> int:
        """An interactive payload (click, modal submission), signed as Slack signs it."""
        return await self._signed(
            urlencode({"payload": json.dumps(payload)}),
            "application/x-www-form-urlencoded",
            secret=secret,
            age=age,
        )

    async def event(self, event: dict[str, Any], event_id: str = "Ev1") -> int:
        """An Events API callback (JSON), signed."""
        body = {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
        return await self._signed(json.dumps(body), "application/json")

    async def _signed(
        self, body: str, content_type: str, *, secret: str = SECRET, age: float = 0
    ) -> int:
        ts = str(int(time.time() - age))
        sig = (
            "v0="
            + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        )
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.url,
                data=body,
                headers={
                    "Content-Type": content_type,
                    "X-Slack-Request-Timestamp": ts,
                    "X-Slack-Signature": sig,
                },
            ) as resp,
        ):
            self.last_body = await resp.text()
            return resp.status

    async def click(self, verb: str, draft_id: int, user: str = "U_ANA", **kw: Any) -> int:
        return await self.post(
            {
                "type": "block_actions",
                "user": {"id": user},
                "team": {"id": "T1"},
                "api_app_id": "A1",
                "trigger_id": f"trigger-{verb}",
                "channel": {"id": "C_APPROVE"},
                "container": {"type": "message", "channel_id": "C_APPROVE"},
                "actions": [
                    {
                        "type": "button",
                        "action_id": verb,
                        "block_id": "decide",
                        "value": str(draft_id),
                        "action_ts": "1",
                    }
                ],
                **kw,
            }
        )

    async def choose(self, action_id: str, value: str, user: str = "U_ANA") -> int:
        """A choice in a card's select menu (``static_select``), as Slack sends it."""
        return await self.post(
            {
                "type": "block_actions",
                "user": {"id": user},
                "team": {"id": "T1"},
                "api_app_id": "A1",
                "trigger_id": f"trigger-{action_id}",
                "channel": {"id": "C_APPROVE"},
                "container": {"type": "message", "channel_id": "C_APPROVE"},
                "actions": [
                    {
                        "type": "static_select",
                        "action_id": action_id,
                        "block_id": action_id,
                        "selected_option": {"value": value},
                        "action_ts": "1",
                    }
                ],
            }
        )

    async def submit(
        self,
        kind: str,
        draft_id: int,
        text: str = "",
        user: str = "U_ANA",
        group: str | None = None,
    ) -> int:
        values: dict[str, Any] = {"text": {"text": {"type": "plain_text_input", "value": text}}}
        if group:
            values["group"] = {
                "group": {"type": "static_select", "selected_option": {"value": group}}
            }
        return await self.post(
            {
                "type": "view_submission",
                "user": {"id": user},
                "team": {"id": "T1"},
                "api_app_id": "A1",
                "trigger_id": "t",
                "view": {
                    "id": "V1",
                    "type": "modal",
                    "callback_id": kind,
                    "private_metadata": str(draft_id),
                    "state": {"values": values},
                },
            }
        )


@asynccontextmanager
async def running_env(
    db_url: str,
    *,
    drafter: Drafter | None = None,
    fake: FakeAdapter | None = None,
    classifier_factory: ClassifierFactory = RuleClassifier,
    clock: Callable[[], float] = time.monotonic,
    encoder: TextEncoder | None = None,
) -> AsyncIterator[Env]:
    slack = SlackServer(
        token="xoxb-test",
        user_groups={"S0COMMUNITY": ["U_ANA", "U_BEN"], "S0SUPPORT": ["U_SUE"]},
    )
    await slack.start()
    await (await open_store(db_url, upgrade=True)).aclose()
    approval_cfg = ApprovalConfig(
        enabled=True,
        mode="http",
        channel="C_APPROVE",
        channels={"legal": "C_LEGAL"},
        api_base_url=slack.base_url,
        http_port=0,
    )
    config = Config(
        database=DatabaseConfig(url=db_url),
        approval=approval_cfg,
        policies=PoliciesConfig(path=str(REPO / "policies")),
    )
    built: list[SlackApproval] = []

    def approvals(context: ApprovalContext) -> SlackApproval:
        built.append(
            SlackApproval(
                approval_cfg,
                context=context,
                credentials=SlackCredentials("xoxb-test", signing_secret=SECRET),
                timing=ApprovalTiming(clock=clock),
            )
        )
        return built[-1]

    fake = fake or FakeAdapter(platform=Platform.DISCORD)
    parts = AppParts(
        adapters=[fake],
        approvals=approvals,
        drafter=drafter or TemplateDrafter(),
        classifier_factory=classifier_factory,
        encoder=encoder,
    )
    try:
        async with build_app(config, parts) as app:  # starts the approval app, stops it after
            await fake.start(app.sink)
            [approval] = built
            url = f"http://127.0.0.1:{approval.http_port}/slack/events"
            yield Env(app, fake, slack, approval, url)
    finally:
        await slack.stop()


async def pending_draft(env: Env) -> int:
    [p] = await env.app.store.pending_drafts()
    return p.draft.id


def card_text(env: Env) -> str:
    return json.dumps(list(env.slack.messages.values()), ensure_ascii=False)
