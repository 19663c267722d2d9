"""One adapter per chat platform: its updates in, core calls, its messages out.

Each module listed here exposes `create(settings, core) -> ChatAdapter | None`, returning
None when its platform is not configured. Adding a platform is one new module and one
line below; the core never imports a platform library.
"""

ADAPTER_MODULES: tuple[str, ...] = ("handlers.telegram", "handlers.slack")
