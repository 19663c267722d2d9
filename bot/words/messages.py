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
    acknowledgement: str
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
    coverage_line: str
    coverage_grouped: str
    coverage_late: str
    coverage_stale: str
    coverage_overdue: str
    showing_first: str
    arxiv_down: str
    no_such_paper: str
    not_an_id: str
    no_favorites: str
    export_caption: str
    # What the platform adapters draw around the core's replies (handlers/).
    digest_title: str
    over_cap_title: str
    tap_saved: str
    tap_removed: str
    tap_already_removed: str
    card_out_of_date: str
    stale_button: str
    not_your_list: str
    share_hint: str
    sorry: str
    your_favorites: str
    someones_favorites: str
    favorites_page: str
    et_al: str
    newer: str
    older: str
    remove: str
    digest_footer: str
    more_papers: str
    favorites_count: str
    favorites_status: str
    saved_titled: str
    removed_titled: str
    unknown_paper_here: str
    home_subscriptions: str
    home_more_channels: str
    home_no_subscriptions: str
    home_no_channels: str
    invite_needed: str
    document_sent: str
    snippet_intro: str
    snippet_more: str
    share_link: str
    link_to_card: str
    share_by_command: str
    share_about: str
    share_title: str
    share_submit: str
    share_cancel: str
    share_target: str
    share_placeholder: str
    shared: str
    share_refused: str
    share_arxiv_silent: str
    share_not_member: str
    share_archived: str
    share_failed: str


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
        acknowledgement="Thank you to arXiv for use of its open access interoperability.",
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
        coverage_line="• {category}: mailing of {date}, {papers} papers, {reached} reached "
        "this chat{grouped}{late}{stale}.",
        coverage_grouped=" ({count} in a digest)",
        coverage_late="; {count} late, left out by arXiv's feed and sent after the audit",
        coverage_stale="; the feed still shows an older mailing, so arXiv's API is being asked",
        coverage_overdue="• ⚠ The arXiv mailing of {date} is overdue: not seen {late} after "
        "it was announced.",
        showing_first="Showing the first {shown} of {total} papers.",
        arxiv_down="arXiv did not answer, try again in a minute. ({error})",
        no_such_paper="arXiv has no paper {arxiv_id}.",
        not_an_id="“{text}” is not an arXiv ID. "
        "Try 2508.08189, arXiv:2508.08189v3 or https://arxiv.org/abs/2508.08189.",
        no_favorites="You have no favorites yet. Tap ☆ under a card to add one.",
        export_caption="{total} favorite papers (BibTeX)",
        digest_title="arXiv digest, {date}: {count} new papers",
        over_cap_title="{count} more new papers today, over this chat's daily limit of {cap} cards",
        tap_saved="★ Saved to your favorites",
        tap_removed="Removed from your favorites",
        tap_already_removed="Already removed",
        card_out_of_date="This card is out of date. Send /paper with its arXiv ID for a fresh one.",
        stale_button="This button no longer works. Send /help to see what you can do.",
        not_your_list="Only the person who opened this list can change it. "
        "Send /favorites to see yours.",
        share_hint="Type an arXiv ID or link, e.g. 2508.08189",
        sorry="Sorry, that did not work. Please try again in a minute.",
        your_favorites="Your favorites",
        someones_favorites="{name}’s favorites",
        favorites_page="{whose} · {total} · page {page}/{pages}",
        et_al=" et al.",
        newer="◀ Newer",
        older="Older ▶",
        remove="Remove",
        digest_footer="Tap ☆ N to keep paper N in your favorites.",
        more_papers="+{count} more papers not listed here",
        favorites_count="Your favorites: {total}",
        favorites_status="Page {page} of {pages} · {total} favorites · "
        "{prefix}export sends them as BibTeX",
        saved_titled="☆ Saved to your favorites: {title}\nSee them all in paperbell's Home.",
        removed_titled="Removed from your favorites: {title}",
        unknown_paper_here="paperbell does not know this paper any more; "
        "try {prefix}paper {arxiv_id}.",
        home_subscriptions="📬 Your channels' subscriptions",
        home_more_channels="…and {count} more channels.",
        home_no_subscriptions="None of your channels has subscriptions yet. In a channel, try: "
        "{prefix}subscribe cs.CL",
        home_no_channels="paperbell could not list your channels "
        "(it needs channels:read and groups:read).",
        invite_needed="paperbell is not in this private channel, so papers cannot arrive here "
        "yet: invite it with /invite @paperbell",
        document_sent="Sent {caption} to you in a direct message from paperbell.",
        snippet_intro="{caption} — {filename} (file uploads are not allowed here, "
        "so it is inline):",
        snippet_more="{count} more entries did not fit.",
        share_link="🔗 {link}: paste it into any conversation and Slack shows a preview of it "
        "there.",
        link_to_card="Link to this card",
        share_by_command="To post the full card in another conversation, send {command} there.",
        share_about="The full card of arXiv:{arxiv_id}, in the conversation's language.",
        share_title="Share a paper",
        share_submit="Post card",
        share_cancel="Cancel",
        share_target="Post it in",
        share_placeholder="Choose a channel",
        shared="🔗 Posted in {channel}:",
        share_refused="Could not post arXiv:{arxiv_id} in {channel}: {reason}",
        share_arxiv_silent="arXiv did not return it; please try again in a minute.",
        share_not_member="paperbell is not in that conversation. Invite it there with "
        "/invite @paperbell, then share again.",
        share_archived="that channel is archived.",
        share_failed="Slack did not take it; please try again shortly.",
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
        acknowledgement="感谢 arXiv 提供开放获取的互操作接口。"
        "（Thank you to arXiv for use of its open access interoperability.）",
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
            "status": "这个聊天订阅了什么、最近一次推送、arXiv 上一次公告是否完整送达、"
            "哪个副本在查询 arXiv，以及下一次 arXiv 公告",
            "foryou": "最近 DAYS 天（默认 7 天）里最符合你 ☆ 收藏的 10 篇论文",
            "rank": "在每日上限和每日摘要中按成员的 ☆ 给本聊天的论文排序，或关闭",
            "forget": "删除你的收藏、表情反馈和排序模型",
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
        coverage_line="• {category}：{date} 的公告，共 {papers} 篇，{reached} 篇已送达"
        "这个聊天{grouped}{late}{stale}。",
        coverage_grouped="（其中 {count} 篇在汇总里）",
        coverage_late="；{count} 篇迟到：arXiv 的订阅源漏掉了它们，核对后补发",
        coverage_stale="；订阅源仍显示较早的公告，正在改用 arXiv API 查询",
        coverage_overdue="• ⚠ {date} 的 arXiv 公告已逾期：公告后 {late} 仍未见到。",
        showing_first="只显示 {total} 篇中的前 {shown} 篇。",
        arxiv_down="arXiv 没有响应，请稍后再试。（{error}）",
        no_such_paper="arXiv 上没有论文 {arxiv_id}。",
        not_an_id="“{text}”不是 arXiv ID。"
        "可以试试 2508.08189、arXiv:2508.08189v3 或 https://arxiv.org/abs/2508.08189。",
        no_favorites="你还没有收藏。点卡片下方的 ☆ 即可收藏。",
        export_caption="{total} 篇收藏论文（BibTeX）",
        digest_title="arXiv 每日摘要 {date}：{count} 篇新论文",
        over_cap_title="今日另有 {count} 篇新论文（超出本聊天每日 {cap} 张卡片的上限）",
        tap_saved="★ 已加入你的收藏",
        tap_removed="已从你的收藏中移除",
        tap_already_removed="已经移除了",
        card_out_of_date="这张卡片已过期。请发送 /paper 加 arXiv ID 获取新卡片。",
        stale_button="这个按钮已失效。发送 /help 查看可用命令。",
        not_your_list="只有打开这个列表的人可以修改它。发送 /favorites 查看你自己的收藏。",
        share_hint="输入 arXiv ID 或链接，例如 2508.08189",
        sorry="抱歉，操作没有成功，请稍后再试。",
        your_favorites="你的收藏",
        someones_favorites="{name} 的收藏",
        favorites_page="{whose} · {total} 篇 · 第 {page}/{pages} 页",
        et_al=" 等",
        newer="◀ 较新",
        older="较早 ▶",
        remove="移除",
        digest_footer="点 ☆ N 把第 N 篇加入你的收藏。",
        more_papers="另有 {count} 篇论文未列出",
        favorites_count="你的收藏：{total} 篇",
        favorites_status="第 {page}/{pages} 页 · 共 {total} 篇收藏 · "
        "发送 {prefix}export 导出为 BibTeX",
        saved_titled="☆ 已加入你的收藏：{title}\n在 paperbell 的主页查看全部收藏。",
        removed_titled="已从你的收藏中移除：{title}",
        unknown_paper_here="paperbell 已不再保存这篇论文；请试试 {prefix}paper {arxiv_id}。",
        home_subscriptions="📬 你所在频道的订阅",
        home_more_channels="……另有 {count} 个频道。",
        home_no_subscriptions="你所在的频道都还没有订阅。可以在频道里试试：{prefix}subscribe cs.CL",
        home_no_channels="paperbell 无法列出你的频道（需要 channels:read 和 groups:read 权限）。",
        invite_needed="paperbell 不在这个私有频道里，所以论文还无法送达："
        "请用 /invite @paperbell 邀请它。",
        document_sent="已通过 paperbell 的私信把{caption}发给你。",
        snippet_intro="{caption} — {filename}（这里不允许上传文件，所以直接显示）：",
        snippet_more="另有 {count} 条没有放下。",
        share_link="🔗 {link}：粘贴到任何对话中，Slack 会在那里显示预览。",
        link_to_card="这张卡片的链接",
        share_by_command="要在其他对话中发布完整卡片，请在那里发送 {command}。",
        share_about="arXiv:{arxiv_id} 的完整卡片，使用该对话的语言。",
        share_title="分享论文",
        share_submit="发布卡片",
        share_cancel="取消",
        share_target="发布到",
        share_placeholder="选择一个频道",
        shared="🔗 已发布到 {channel}：",
        share_refused="无法在 {channel} 发布 arXiv:{arxiv_id}：{reason}",
        share_arxiv_silent="arXiv 没有返回这篇论文，请稍后再试。",
        share_not_member="paperbell 不在那个对话里。请先用 /invite @paperbell 邀请它，再分享一次。",
        share_archived="那个频道已归档。",
        share_failed="Slack 没有接受，请稍后再试。",
    ),
}

_WEEKDAYS_ZH = "一二三四五六日"


def moment_text(moment: datetime, language: Language) -> str:
    """A local time with its weekday, which tells people whether arXiv announces that day."""
    if language == "zh":
        weekday = _WEEKDAYS_ZH[moment.weekday()]
        return f"{moment.month}月{moment.day}日（周{weekday}）{moment:%H:%M %Z}"
    return moment.strftime("%a %d %b %H:%M %Z")
