"""The `/status` lines about arXiv's mailings: did the last one reach this chat in full?

One line per followed category: the newest mailing paperbell recorded for it, how many
papers it had, how many reached this chat (how many of those inside a digest, in
digest mode or over the daily cap), how many came late because the feed left them out,
and whether the category's feed is stale right now. Then a warning when a mailing is
overdue. Kept apart from `bot.chat.service` so the service stays about commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.source.arxiv_calendar import public_at
from bot.store import Chat, Store
from bot.support.config import Language
from bot.words.messages import MESSAGES


async def coverage_lines(
    store: Store,
    chat: Chat | None,
    categories: Sequence[str],
    language: Language,
    now: datetime,
    overdue_after: timedelta | None,
) -> list[str]:
    messages = MESSAGES[language]
    lines = []
    if chat is not None:
        rows = await store.chat_coverage(
            chat.id, categories, digest_mode=chat.digest_time is not None
        )
        for row in rows:
            lines.append(
                messages.coverage_line.format(
                    category=row.category,
                    date=row.mailing.isoformat(),
                    papers=row.papers,
                    reached=row.reached,
                    grouped=messages.coverage_grouped.format(count=row.grouped)
                    if row.grouped
                    else "",
                    late=messages.coverage_late.format(count=row.late) if row.late else "",
                    stale=messages.coverage_stale if row.stale else "",
                )
            )
    if overdue_after is not None:
        overdue = await store.overdue_mailing(now, overdue_after)
        if overdue is not None:
            late = _duration(now - public_at(overdue), language)
            lines.append(messages.coverage_overdue.format(date=overdue.isoformat(), late=late))
    return lines


def _duration(span: timedelta, language: Language) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if language == "zh":
        return f"{hours} 小时 {rest} 分钟" if hours else f"{rest} 分钟"
    return f"{hours} h {rest} min" if hours else f"{rest} min"
