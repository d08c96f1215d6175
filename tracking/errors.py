"""Errors that carry German messages for the people who use the tool."""

from __future__ import annotations


class TrackingError(Exception):
    """A refusal with one or more German messages; nothing was written."""

    def __init__(self, messages: str | list[str]):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))
