"""Telegram-only wording: tap answers and hints only the tapper sees.

Command replies and the zh command menu come from the core (`bot/chat/messages.py`) in the
chat's language; these short private answers follow the person's own Telegram language.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.support.config import Language


@dataclass(frozen=True, slots=True)
class Texts:
    saved: str
    removed: str
    already_removed: str
    unknown_paper: str
    stale_button: str
    not_your_list: str
    share_hint: str
    sorry: str


TEXTS: dict[Language, Texts] = {
    "en": Texts(
        saved="★ Saved to your favorites",
        removed="Removed from your favorites",
        already_removed="Already removed",
        unknown_paper="This card is out of date. Send /paper with its arXiv ID for a fresh one.",
        stale_button="This button no longer works. Send /help to see what you can do.",
        not_your_list="Only the person who opened this list can change it. "
        "Send /favorites to see yours.",
        share_hint="Type an arXiv ID or link, e.g. 2508.08189",
        sorry="Sorry, that did not work. Please try again in a minute.",
    ),
    "zh": Texts(
        saved="★ 已加入你的收藏",
        removed="已从你的收藏中移除",
        already_removed="已经移除了",
        unknown_paper="这张卡片已过期。请发送 /paper 加 arXiv ID 获取新卡片。",
        stale_button="这个按钮已失效。发送 /help 查看可用命令。",
        not_your_list="只有打开这个列表的人可以修改它。发送 /favorites 查看你自己的收藏。",
        share_hint="输入 arXiv ID 或链接，例如 2508.08189",
        sorry="抱歉，操作没有成功，请稍后再试。",
    ),
}
