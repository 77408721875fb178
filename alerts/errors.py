"""Exception root of the alerts package."""

from __future__ import annotations


class AlertsError(Exception):
    """Base of every error raised by ``alerts``."""


class RulesError(AlertsError):
    """A rules file is unreadable or invalid; the message names the file and the key."""


class AlertNotFound(AlertsError):
    """An incident, alert, silence or maintenance window id does not exist."""
