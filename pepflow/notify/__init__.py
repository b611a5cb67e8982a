"""Notifications: templates, the outbox dispatcher and the mailers that deliver."""
