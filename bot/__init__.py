"""Tactline: listen to a community, draft measured replies, let humans approve them."""

__version__ = "0.1.0"
