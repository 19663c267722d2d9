"""What ranking says, in both languages: /foryou, /forget, /rank, reactions, the 🎯 line."""

from __future__ import annotations

from dataclasses import dataclass

from bot.support.config import Language


@dataclass(frozen=True, slots=True)
class RankingMessages:
    """What ranking says: /foryou, /forget, /rank, reactions, and the card's 🎯 line."""

    resembles: str
    top_mark: str
    for_you_title: str
    for_you_group_title: str
    for_you_entry: str
    for_you_empty: str
    for_you_needs: str
    bad_days: str
    forget_confirm: str
    forget_button: str
    forget_cancel_button: str
    forgotten: str
    forget_cancelled: str
    forget_not_yours: str
    rank_on: str
    rank_off: str
    rank_waiting: str
    bad_rank: str
    reactions_help: str


RANKING_MESSAGES: dict[Language, RankingMessages] = {
    "en": RankingMessages(
        resembles="Resembles your ☆: {title}",
        top_mark="🎯",
        for_you_title="For you: your best-ranked papers of the last {days} days",
        for_you_group_title="For {name}: your best-ranked papers of the last {days} days",
        for_you_entry="{rank}. {title} (score {score:.2f})\n   resembles your ☆: {why}",
        for_you_empty="No new papers in the last {days} days that you have not already ☆-ed.",
        for_you_needs="Ranking learns from your ☆: you have {have}, it needs {need} more "
        "(at least 3). Tap ☆ under the cards you like.",
        bad_days="Give a number of days from 1 to 30.\n{usage}",
        forget_confirm="Delete all your favorites, reactions and your ranking model? "
        "This cannot be undone; other people's are kept.",
        forget_button="Delete my signals",
        forget_cancel_button="Cancel",
        forgotten="Done: {favorites} favorites and {signals} reactions deleted, and your "
        "model with them.",
        forget_cancelled="Nothing was deleted.",
        forget_not_yours="Only the person who sent /forget can answer it.",
        rank_on="Ranking is on here: under a daily cap the best-ranked papers come as cards "
        "and digests list papers best first, once members have ☆-ed at least 3 papers.",
        rank_off="Ranking is off here: papers come in announcement order.",
        rank_waiting="Ranking is on here, but no one has ☆-ed enough papers in this chat yet "
        "(3 each); until then papers come in announcement order.",
        bad_rank="Choose on or off.\n{usage}",
        reactions_help="Reactions on a card teach ranking too. Telegram: ❤ is ☆, 👍 🔥 mean "
        "more like this, 👎 less like this (in groups only when paperbell is an "
        "administrator). Slack: :star: is ☆, :+1: :heart: :fire: more, :-1: less.",
    ),
    "zh": RankingMessages(
        resembles="与你收藏的相似：{title}",
        top_mark="🎯",
        for_you_title="为你推荐：最近 {days} 天里最符合你收藏的论文",
        for_you_group_title="为 {name} 推荐：最近 {days} 天里最符合你收藏的论文",
        for_you_entry="{rank}. {title}（得分 {score:.2f}）\n   与你收藏的相似：{why}",
        for_you_empty="最近 {days} 天没有你尚未收藏的新论文。",
        for_you_needs="排序从你的 ☆ 中学习：你已收藏 {have} 篇，还需要 {need} 篇（至少 3 篇）。"
        "请点你喜欢的卡片下方的 ☆。",
        bad_days="请给出 1 到 30 之间的天数。\n{usage}",
        forget_confirm="删除你的全部收藏、表情反馈和排序模型？此操作无法撤销；其他人的数据不受影响。",
        forget_button="删除我的数据",
        forget_cancel_button="取消",
        forgotten="已删除：{favorites} 篇收藏、{signals} 条表情反馈，以及你的模型。",
        forget_cancelled="没有删除任何内容。",
        forget_not_yours="只有发送 /forget 的人可以回答。",
        rank_on="本聊天已开启排序：设置每日上限时，排名最高的论文以卡片发送，摘要按排名列出；"
        "成员需至少收藏 3 篇论文后生效。",
        rank_off="本聊天已关闭排序：论文按公布顺序发送。",
        rank_waiting="本聊天已开启排序，但还没有成员在这里收藏足够的论文（每人 3 篇）；"
        "在此之前论文按公布顺序发送。",
        bad_rank="请选择 on 或 off。\n{usage}",
        reactions_help="卡片上的表情也会用于排序。Telegram：❤ 等于 ☆，👍 🔥 表示想看更多类似的，"
        "👎 表示少看（群组中需 paperbell 为管理员）。Slack：:star: 等于 ☆，:+1: :heart: :fire: "
        "表示更多，:-1: 表示更少。",
    ),
}
