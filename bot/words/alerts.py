"""What operator alerts say when an incident starts and when it ends, in both languages."""

from __future__ import annotations

from dataclasses import dataclass

from bot.support.config import Language


@dataclass(frozen=True, slots=True)
class AlertTexts:
    """What operators in ADMIN_CHATS read when an incident starts and when it ends."""

    overdue: str
    overdue_end: str
    stale: str
    stale_end: str
    shortfall: str
    shortfall_end: str
    token: str
    token_end: str
    llm: str
    llm_end: str
    database: str
    database_end: str


ALERTS: dict[Language, AlertTexts] = {
    "en": AlertTexts(
        overdue="⚠ paperbell: arXiv's mailing of {date} is overdue, not in the feed {late} "
        "after it was announced.",
        overdue_end="✓ paperbell: arXiv's mailing of {date} has arrived.",
        stale="⚠ paperbell: arXiv's feed for {category} still shows an older mailing; "
        "{count} papers of {date} were fetched from the API instead.",
        stale_end="✓ paperbell: arXiv's feed for {category} is current again.",
        shortfall="⚠ paperbell: the audit of {category}, mailing of {date}, found {count} "
        "papers the feed left out (arXiv counts {expected}); they were sent, marked late.",
        shortfall_end="✓ paperbell: the audit of {category}, mailing of {date}, found nothing "
        "missing.",
        token="⚠ paperbell: {platform} refuses the bot token: {error}",
        token_end="✓ paperbell: {platform} accepts the bot token again.",
        llm="⚠ paperbell: the LLM failed for {count} papers in a row ({reason}); cards use "
        "the offline summary meanwhile.",
        llm_end="✓ paperbell: the LLM summarizes again.",
        database="⚠ paperbell: the database was unreachable at start: {error}",
        database_end="✓ paperbell: the database answers.",
    ),
    "zh": AlertTexts(
        overdue="⚠ paperbell：arXiv {date} 的公告已逾期，公告后 {late} 仍未出现在订阅源中。",
        overdue_end="✓ paperbell：arXiv {date} 的公告已到。",
        stale="⚠ paperbell：arXiv 订阅源中的 {category} 仍显示较早的公告；"
        "{date} 的 {count} 篇论文已改从 API 获取。",
        stale_end="✓ paperbell：arXiv 订阅源中的 {category} 已恢复正常。",
        shortfall="⚠ paperbell：核对 {category} 在 {date} 的公告，发现订阅源漏掉了 {count} 篇"
        "（arXiv 共计 {expected} 篇）；已补发并标为迟到。",
        shortfall_end="✓ paperbell：核对 {category} 在 {date} 的公告，没有遗漏。",
        token="⚠ paperbell：{platform} 拒绝了机器人令牌：{error}",
        token_end="✓ paperbell：{platform} 重新接受了机器人令牌。",
        llm="⚠ paperbell：LLM 连续 {count} 篇论文失败（{reason}）；期间卡片使用离线摘要。",
        llm_end="✓ paperbell：LLM 恢复正常。",
        database="⚠ paperbell：启动时无法连接数据库：{error}",
        database_end="✓ paperbell：数据库已恢复。",
    ),
}
