"""The exception tree. Exceptions carry data; only ``bot.cli`` turns them into exit codes."""

from __future__ import annotations


class TactlineError(Exception):
    """Base of every error Tactline raises on purpose."""


class ConfigError(TactlineError):
    def __init__(self, path: str, key: str, reason: str) -> None:
        super().__init__(f"{path}: {key}: {reason}")
        self.path, self.key, self.reason = path, key, reason


class PolicyInvalid(TactlineError):
    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


class PolicyErrors(TactlineError):
    """Several policy problems at once, each a :class:`PolicyInvalid`."""

    def __init__(self, problems: list[PolicyInvalid]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class ModelUnavailable(TactlineError):
    """A model is not installed or could not be fetched/verified."""


class DeliveryFailed(TactlineError):
    """A send failed. ``retry_after`` set: try again later; ``permanent``: stop and tell admins."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason, self.retry_after, self.permanent = reason, retry_after, permanent


class DeliveryUnknown(TactlineError):
    """A send may or may not have happened (timeout): reconcile before resending."""


class AdapterUnhealthy(TactlineError):
    """An adapter cannot work; the others keep running. ``permanent``: only an admin can fix
    it (a refused token, a missing intent), so it is not retried; otherwise (the platform is
    unreachable) ``tactline run`` tries to start it again later."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent
