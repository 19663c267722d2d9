"""Cards as each platform shows them: Telegram HTML (`telegram_html`), Slack Block Kit
(`slack_blocks`) and plain text (`text`), with the buttons' data (`buttons`).

Renderers only read a `Card`; they import no platform library, so the handlers send what
they return and the tests check it against validators of what each platform accepts.
"""
