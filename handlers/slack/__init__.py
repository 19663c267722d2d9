"""Slack: `/paperbell`, the ☆ and share buttons, App Home, and cards posted to channels."""

from handlers.slack.adapter import SlackAdapter, create
from handlers.slack.doctor import doctor_check

__all__ = ["SlackAdapter", "create", "doctor_check"]
