"""The outbox out to the chats: the platform interface, rate limits and the dispatcher.

Knows no platform by name: each adapter in `handlers/` implements `platforms.Platform`.
"""
