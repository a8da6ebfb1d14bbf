"""Domain errors shared by services, views and the API."""

from __future__ import annotations


class Conflict(Exception):
    """The action does not fit the record's current state (a stale version, a finished run).

    Answered as 409 by the API and explained in place on the pages.
    """

    def __init__(self, message: str, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.current_version = current_version
