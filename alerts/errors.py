"""Exception root of the alerts package."""

from __future__ import annotations


class AlertsError(Exception):
    """Base of every error raised by ``alerts``."""


class RulesError(AlertsError):
    """A rules file is unreadable or invalid; the message names the file and the key."""


class AlertNotFound(AlertsError):
    """An incident, alert, silence or maintenance window id does not exist."""


class InvalidInput(AlertsError):
    """A request is well-formed but its content is invalid (a bad RRULE, no matcher)."""
