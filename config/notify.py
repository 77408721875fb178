"""NotifierSettings: strict, validated once at load; secrets are SecretStr (print as ***)."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator

from provnet.config.base import Strict

Language = Literal["vi", "en"]


class RetryPolicy(Strict):
    """Exponential backoff with jitter; a delivery gives up after max_attempts or max_age_s."""

    initial_s: float = Field(default=2.0, gt=0)
    factor: float = Field(default=2.0, ge=1)
    max_delay_s: float = Field(default=300.0, gt=0)
    jitter: float = Field(default=0.2, ge=0, le=1)
    max_attempts: int = Field(default=50, gt=0)
    max_age_s: float = Field(default=24 * 3600.0, gt=0)


class _Channel(Strict):
    enabled: bool = False
    timeout_s: float = Field(default=10.0, gt=0)
    language: Language | None = None  # None: NotifierSettings.language


class WebhookSettings(_Channel):
    """POST a JSON document to ``url``; signed with HMAC-SHA256 when ``secret`` is set.

    ``url`` is a secret: chat webhooks (Slack, Teams, Google Chat) carry their key in it."""

    url: SecretStr | None = None
    secret: SecretStr | None = None
    signature_header: str = "X-Provnet-Signature"
    #: extra request headers (often ``Authorization: Bearer ...``): secrets, printed as ***
    headers: dict[str, SecretStr] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _needs_url(self) -> WebhookSettings:
        if self.enabled and not self.url:
            raise ValueError("webhook.url is required when webhook.enabled is true")
        return self


class EmailSettings(_Channel):
    """SMTP submission; multipart text + HTML; escalation contacts are added as recipients."""

    host: str = "127.0.0.1"
    port: int = Field(default=25, gt=0, lt=65536)
    starttls: bool = False
    ca_file: str | None = None  # PEM bundle to verify the server with; None: system CAs
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "provnet@localhost"
    recipients: list[str] = Field(default_factory=list)
    #: send the password with SMTP AUTH although the session is not encrypted (``starttls``
    #: off): refused unless set, because anyone on the path reads the password
    allow_plaintext_auth: bool = False

    @model_validator(mode="after")
    def _needs_recipients(self) -> EmailSettings:
        if self.enabled and not self.recipients:
            raise ValueError("email.recipients must not be empty when email.enabled is true")
        secret = self.password.get_secret_value() if self.password else ""
        if not (self.username or "").isascii() or not secret.isascii():
            # smtplib's AUTH encodes ASCII only; fail at load rather than at the first alert
            raise ValueError("email.username and email.password must be ASCII")
        if self.username and not self.starttls and not self.allow_plaintext_auth:
            raise ValueError("email.username is set but email.starttls is false: SMTP AUTH "
                             "would send the password in plain text; set starttls: true "
                             "(or allow_plaintext_auth: true to accept the risk)")
        return self

    def plaintext_auth_refused(self) -> bool:
        """True when a login would cross the network unencrypted without being allowed."""
        return bool(self.username) and not self.starttls and not self.allow_plaintext_auth


class TelegramSettings(_Channel):
    """Telegram Bot API ``sendMessage`` (HTML parse mode) to every chat id."""

    api_base: str = "https://api.telegram.org"
    token: SecretStr | None = None
    chat_ids: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _needs_token(self) -> TelegramSettings:
        if self.enabled and (self.token is None or not self.chat_ids):
            raise ValueError("telegram.token and telegram.chat_ids are required when enabled")
        return self


class AlertmanagerSettings(_Channel):
    """Prometheus Alertmanager: ``POST {url}/api/v2/alerts``, one alert per incident."""

    url: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    # A firing alert is posted with endsAt = now + firing_ttl_s and re-posted every third of
    # it while the incident is open; a resolution sets endsAt explicitly. If provnet stops,
    # Alertmanager resolves the alerts after this long.
    firing_ttl_s: float = Field(default=3600.0, gt=0)

    @model_validator(mode="after")
    def _needs_url(self) -> AlertmanagerSettings:
        if self.enabled and not self.url:
            raise ValueError("alertmanager.url is required when alertmanager.enabled is true")
        return self


class NotifierSettings(Strict):
    """Notification channels, language, time zone and the outbox retry policy."""

    language: Language = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    poll_interval_s: float = Field(default=1.0, gt=0)
    retry: RetryPolicy = RetryPolicy()
    webhook: WebhookSettings = WebhookSettings()
    email: EmailSettings = EmailSettings()
    telegram: TelegramSettings = TelegramSettings()
    alertmanager: AlertmanagerSettings = AlertmanagerSettings()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value
