"""Who may decide a group's drafts: its listed approvers and the members of its listed
Slack user groups, looked up and cached for a minute (or until Slack says it changed)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.policy import Policy
from bot.slack_approval import texts
from bot.slack_approval.out import slack_error

log = logging.getLogger(__name__)

# A successful user-group lookup is trusted this long: someone removed from the group stops
# deciding within a minute even without the ``subteam_members_changed`` event.
MEMBERS_TTL = 60.0


class GroupLookupFailed(Exception):
    """Slack would not list a user group's members: nobody can tell who is an approver."""

    def __init__(self, usergroup: str, error: str, needed: str | None) -> None:
        super().__init__(usergroup, error, needed)
        self.usergroup, self.error, self.needed = usergroup, error, needed

    def advice(self) -> str:
        if self.error == "missing_scope":
            scope = self.needed or "usergroups:read"
            return texts.MISSING_SCOPE.format(scope=scope, usergroup=self.usergroup)
        return texts.GROUP_UNLISTED.format(usergroup=self.usergroup, error=self.error)


class Approvers:
    """Approver membership, from the policy in force and Slack's user groups."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        policy: Callable[[], Policy],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._policy = policy
        self._clock = clock  # for the membership cache's expiry
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    async def allowed(self, user_id: str, group: str) -> bool:
        """Whether ``user_id`` is one of the group's approvers (listed, or a member of a
        listed user group). Raises :class:`GroupLookupFailed` when the answer depends on a
        user group Slack would not list."""
        entry = self._policy().groups.get(group)
        if entry is None:
            return False
        if user_id in entry.approvers:
            return True
        failed: GroupLookupFailed | None = None
        for ref in entry.approvers:
            if not ref.startswith("S"):
                continue
            try:
                if user_id in await self.members(ref):
                    return True
            except GroupLookupFailed as exc:
                failed = failed or exc
        if failed is not None:
            raise failed
        return False

    async def members(self, usergroup: str) -> frozenset[str]:
        """A user group's members, cached for ``MEMBERS_TTL`` seconds (or until Slack says
        the group changed). A failed lookup is never cached: it raises every time, so the
        approvers are let in as soon as the cause is fixed."""
        cached = self._cache.get(usergroup)
        if cached and self._clock() - cached[0] < MEMBERS_TTL:
            return cached[1]
        try:
            resp = await self._client.usergroups_users_list(usergroup=usergroup)
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            failed = GroupLookupFailed(usergroup, slack_error(exc), data.get("needed"))
            log.error("cannot list user group %s: %s", usergroup, failed.advice())
            raise failed from None
        members = frozenset(resp.get("users") or [])
        self._cache[usergroup] = (self._clock(), members)
        return members

    def cached(self, usergroup: str) -> frozenset[str] | None:
        """The members remembered for ``usergroup`` (expired or not), None if none."""
        entry = self._cache.get(usergroup)
        return entry[1] if entry else None

    def forget(self, usergroup: str) -> None:
        """The group changed (``subteam_members_changed``): look it up again next time."""
        self._cache.pop(usergroup, None)
