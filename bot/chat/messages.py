"""Everything the core says in command replies, per chat language.

Kept apart from the logic so a chat that switched to `/lang zh` hears the whole bot in
Chinese, and so the wording of both languages can be read and compared side by side.
Placeholders are `str.format` fields; command names, category codes, examples and arXiv
IDs are filled in unchanged, since people type them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.support.config import Language


@dataclass(frozen=True, slots=True)
class Messages:
    # Command syntax and parse errors (bot/chat/commands.py).
    usage: str
    unbalanced_quotes: str
    bad_topic: str
    unknown_category: str
    unknown_categories: str
    did_you_mean: str
    no_category: str
    choose_language: str
    bad_digest: str
    unknown_timezone: str
    bad_cap: str
    help_intro: str
    help_example: str
    # Help summary per command; the English ones live in `COMMANDS`, which the menus share.
    summaries: Mapping[str, str]
    category_groups: str
    unknown_group: str
    # Replies of bot/chat/service.py.
    admins_only: str
    favorites_need_a_person: str
    unknown_command: str
    subscribed: str
    only_mentioning: str
    skipping_mentioning: str
    topics: str
    arrives_next_announcement: str
    no_subscriptions: str
    nothing_to_remove: str
    unsubscribed: str
    removed_topics: str
    no_subscriptions_yet: str
    receives: str
    listed_only: str
    listed_not: str
    language_names: Mapping[Language, str]
    language_set: str
    digest_off: str
    digest_on: str
    cap_off: str
    cap_on: str
    status_title: str
    follows: str
    followed_only: str
    followed_not: str
    follows_nothing: str
    delivery_digest: str
    delivery_cap: str
    delivery_cards: str
    last_delivery: str
    nothing_yet: str
    waiting: str
    not_delivered: str
    not_polled: str
    last_poll: str
    last_poll_and_next: str
    replicas: str
    replicas_no_poller: str
    last_announcement: str
    last_announcement_received: str
    next_announcement: str
    showing_first: str
    arxiv_down: str
    no_such_paper: str
    not_an_id: str
    no_favorites: str
    export_caption: str


MESSAGES: dict[Language, Messages] = {
    "en": Messages(
        usage="Usage: {prefix}{name} {args}\nExample: {prefix}{example}",
        unbalanced_quotes="Unbalanced quotes.\n{usage}",
        bad_topic="A topic needs a name and at least one term, like "
        "topic:Robotics=robot,manipulation\n{usage}",
        unknown_category="Unknown arXiv category: {hints}. Nothing was changed. "
        "Send {prefix}categories for the codes.",
        unknown_categories="Unknown arXiv categories: {hints}. Nothing was changed. "
        "Send {prefix}categories for the codes.",
        did_you_mean="{code} (did you mean {close}?)",
        no_category="Name at least one arXiv category.\n{usage}",
        choose_language="Choose en or zh.\n{usage}",
        bad_digest="Give a time like 08:30 (and a time zone if you like), or off.\n{usage}",
        unknown_timezone="Unknown time zone {zone}: use a name like Europe/Berlin, "
        "Asia/Shanghai or UTC.\n{usage}",
        bad_cap="Give a number of cards a day from 1 to {most}, or off.\n{usage}",
        help_intro="paperbell posts new arXiv papers of the categories this chat subscribes "
        "to, each as a summary card. Tap ☆ under a card to keep it in your own favorites.",
        help_example="Example: {prefix}subscribe cs.CV cs.LG",
        summaries={},
        category_groups="arXiv's category groups. Send {prefix}categories GROUP for the codes:",
        unknown_group="No arXiv group “{group}”. Send {prefix}categories for the groups.",
        admins_only="Only chat administrators can change what this chat receives.",
        favorites_need_a_person="Favorites belong to people; ask in a private chat or group.",
        unknown_command="Unknown command {prefix}{command}. Send {prefix}help for the list.",
        subscribed="Subscribed this chat to:",
        only_mentioning="Only papers mentioning: {words}",
        skipping_mentioning="Skipping papers mentioning: {words}",
        topics="Topics: {topics}",
        arrives_next_announcement="New papers arrive with the next arXiv announcement.",
        no_subscriptions="This chat has no subscriptions. {usage}",
        nothing_to_remove="Nothing to remove: this chat was not subscribed to that.",
        unsubscribed="Unsubscribed from {categories}.",
        removed_topics="Removed topics: {topics}.",
        no_subscriptions_yet="This chat has no subscriptions yet.\n{usage}",
        receives="This chat receives ({code} cards):",
        listed_only=" — only {words}",
        listed_not=" — not {words}",
        language_names={"en": "English", "zh": "中文"},
        language_set="Cards in this chat are now in {name}.",
        digest_off="Digest off: each new paper arrives as its own card again.",
        digest_on="From now on this chat gets one digest a day at {time} ({zone}) listing "
        "the new papers, instead of one card each. {prefix}digest off to go back.",
        cap_off="No daily limit: every new paper arrives as a card.",
        cap_on="At most {cap} cards a day here; the rest of a day's papers come together "
        "in one digest message.",
        status_title="Status of this chat:",
        follows="• Follows: {subscriptions}",
        followed_only=" (only {words})",
        followed_not=" (not {words})",
        follows_nothing="• Follows nothing yet: {prefix}subscribe CATEGORY to start.",
        delivery_digest="• Delivery: one digest a day at {time} ({zone}).",
        delivery_cap="• Delivery: cards, at most {cap} a day, then a digest.",
        delivery_cards="• Delivery: one card per paper.",
        last_delivery="• Last delivery: {last}{waiting}{not_delivered}.",
        nothing_yet="nothing yet",
        waiting=", {count} waiting",
        not_delivered=", {count} not delivered",
        not_polled="• Not polled arXiv yet.",
        last_poll="• Last poll of arXiv: {at}.",
        last_poll_and_next="• Last poll of arXiv: {at}; next about {next}.",
        replicas="• Polling arXiv: replica {leader}; dispatchers live: {count}.",
        replicas_no_poller="• Polling arXiv: no replica right now (one takes over within two "
        "minutes); dispatchers live: {count}.",
        last_announcement="• Last arXiv announcement: {at}.",
        last_announcement_received="• Last arXiv announcement: {at}, received {seen}.",
        next_announcement="• Next arXiv announcement: {at} (none on Friday and Saturday "
        "evenings or holidays; dates are approximate).",
        showing_first="Showing the first {shown} of {total} papers.",
        arxiv_down="arXiv did not answer, try again in a minute. ({error})",
        no_such_paper="arXiv has no paper {arxiv_id}.",
        not_an_id="“{text}” is not an arXiv ID. "
        "Try 2508.08189, arXiv:2508.08189v3 or https://arxiv.org/abs/2508.08189.",
        no_favorites="You have no favorites yet. Tap ☆ under a card to add one.",
        export_caption="{total} favorite papers (BibTeX)",
    ),
    "zh": Messages(
        usage="用法：{prefix}{name} {args}\n示例：{prefix}{example}",
        unbalanced_quotes="引号没有成对。\n{usage}",
        bad_topic="主题需要一个名称和至少一个词，例如 topic:Robotics=robot,manipulation\n{usage}",
        unknown_category="未知的 arXiv 分类：{hints}。没有做任何更改。"
        "发送 {prefix}categories 查看分类代码。",
        unknown_categories="未知的 arXiv 分类：{hints}。没有做任何更改。"
        "发送 {prefix}categories 查看分类代码。",
        did_you_mean="{code}（你是不是想输入 {close}？）",
        no_category="请至少写一个 arXiv 分类。\n{usage}",
        choose_language="请选择 en 或 zh。\n{usage}",
        bad_digest="请给出时间，例如 08:30（可以再加时区），或者 off。\n{usage}",
        unknown_timezone="未知的时区 {zone}：请使用 Europe/Berlin、Asia/Shanghai 或 UTC "
        "这样的名称。\n{usage}",
        bad_cap="请给出每天的卡片数量（1 到 {most}），或者 off。\n{usage}",
        help_intro="paperbell 会把这个聊天订阅的 arXiv 分类中的新论文发到这里，"
        "每篇一张摘要卡片。点卡片下方的 ☆ 可以把论文加入你自己的收藏。",
        help_example="示例：{prefix}subscribe cs.CV cs.LG",
        summaries={
            "help": "paperbell 能做什么，以及全部命令",
            "subscribe": "在这里接收这些 arXiv 分类的新论文；+word 只保留提到该词的论文，"
            "-word 去掉提到该词的论文，topic: 把匹配的论文标注在 🎯 下",
            "unsubscribe": "取消分类或主题（不带参数：全部取消）",
            "subscriptions": "这个聊天订阅了什么",
            "categories": "arXiv 的分类及其代码（不带参数：列出大类）",
            "paper": "任意论文的完整卡片",
            "favorites": "你自己的 ☆ 收藏，最新的在前",
            "export": "把你的收藏导出为 BibTeX 文件",
            "lang": "这个聊天里卡片的语言",
            "digest": "每天在这个时间发一条汇总，列出新论文，代替每篇一张卡片"
            "（时区默认 UTC，也可指定，如 Asia/Shanghai）",
            "cap": "每天最多发 N 张卡片，当天其余的论文汇总成一条",
            "status": "这个聊天订阅了什么、最近一次推送、哪个副本在查询 arXiv 和下一次 arXiv 公告",
        },
        category_groups="arXiv 的分类大类。"
        "发送 {prefix}categories 加大类代码（如 cs）查看其中的分类：",
        unknown_group="没有叫“{group}”的 arXiv 大类。发送 {prefix}categories 查看全部大类。",
        admins_only="只有聊天管理员可以更改这个聊天接收的内容。",
        favorites_need_a_person="收藏属于个人；请在私聊或群组里使用。",
        unknown_command="未知命令 {prefix}{command}。发送 {prefix}help 查看命令列表。",
        subscribed="这个聊天已订阅：",
        only_mentioning="只保留提到这些词的论文：{words}",
        skipping_mentioning="跳过提到这些词的论文：{words}",
        topics="主题：{topics}",
        arrives_next_announcement="新论文会随下一次 arXiv 公告送达。",
        no_subscriptions="这个聊天没有任何订阅。{usage}",
        nothing_to_remove="没有可取消的：这个聊天并没有订阅这些。",
        unsubscribed="已取消订阅 {categories}。",
        removed_topics="已移除主题：{topics}。",
        no_subscriptions_yet="这个聊天还没有订阅。\n{usage}",
        receives="这个聊天接收（{name}卡片）：",
        listed_only=" — 仅限 {words}",
        listed_not=" — 排除 {words}",
        language_names={"en": "英文", "zh": "中文"},
        language_set="这个聊天的卡片现在使用{name}。",
        digest_off="已关闭汇总：每篇新论文重新单独发一张卡片。",
        digest_on="从现在起，这个聊天每天 {time}（{zone}）收到一条汇总，列出新论文，"
        "代替每篇一张卡片。发送 {prefix}digest off 恢复原样。",
        cap_off="不限每日数量：每篇新论文都发一张卡片。",
        cap_on="这里每天最多发 {cap} 张卡片；当天其余的论文汇总成一条消息。",
        status_title="这个聊天的状态：",
        follows="• 订阅：{subscriptions}",
        followed_only="（仅限 {words}）",
        followed_not="（排除 {words}）",
        follows_nothing="• 还没有订阅：发送 {prefix}subscribe 加分类代码开始。",
        delivery_digest="• 推送方式：每天 {time}（{zone}）一条汇总。",
        delivery_cap="• 推送方式：卡片，每天最多 {cap} 张，其余汇总成一条。",
        delivery_cards="• 推送方式：每篇论文一张卡片。",
        last_delivery="• 最近一次推送：{last}{waiting}{not_delivered}。",
        nothing_yet="还没有",
        waiting="，{count} 条待发送",
        not_delivered="，{count} 条未送达",
        not_polled="• 还没有查询过 arXiv。",
        last_poll="• 最近一次查询 arXiv：{at}。",
        last_poll_and_next="• 最近一次查询 arXiv：{at}；下一次大约在 {next}。",
        replicas="• 查询 arXiv 的副本：{leader}；在线的发送进程：{count} 个。",
        replicas_no_poller="• 查询 arXiv 的副本：暂无（两分钟内会有副本接手）；"
        "在线的发送进程：{count} 个。",
        last_announcement="• 最近一次 arXiv 公告：{at}。",
        last_announcement_received="• 最近一次 arXiv 公告：{at}，收到于 {seen}。",
        next_announcement="• 下一次 arXiv 公告：{at}（周五、周六晚上和节假日没有公告；"
        "时间为估计值）。",
        showing_first="只显示 {total} 篇中的前 {shown} 篇。",
        arxiv_down="arXiv 没有响应，请稍后再试。（{error}）",
        no_such_paper="arXiv 上没有论文 {arxiv_id}。",
        not_an_id="“{text}”不是 arXiv ID。"
        "可以试试 2508.08189、arXiv:2508.08189v3 或 https://arxiv.org/abs/2508.08189。",
        no_favorites="你还没有收藏。点卡片下方的 ☆ 即可收藏。",
        export_caption="{total} 篇收藏论文（BibTeX）",
    ),
}

_WEEKDAYS_ZH = "一二三四五六日"


def moment_text(moment: datetime, language: Language) -> str:
    """A local time with its weekday, which tells people whether arXiv announces that day."""
    if language == "zh":
        weekday = _WEEKDAYS_ZH[moment.weekday()]
        return f"{moment.month}月{moment.day}日（周{weekday}）{moment:%H:%M %Z}"
    return moment.strftime("%a %d %b %H:%M %Z")
