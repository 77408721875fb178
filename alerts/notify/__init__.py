"""Notifications: templates, channels (webhook, e-mail, Telegram, Alertmanager) and the outbox."""
