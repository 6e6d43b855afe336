"""Listening: alerts on what the community says, as it says it."""
