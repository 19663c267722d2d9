"""The command language every platform shares, and its help text.

Telegram sends `/subscribe cs.CV`, Slack `/paperbell subscribe cs.CV`; both arrive here as
a command name and its argument text, so parsing and wording live in one place.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.source.taxonomy import groups, suggest, validate
from bot.support.config import Language
from bot.words.messages import MESSAGES
from bot.words.ranking import RANKING_MESSAGES


class UsageError(ValueError):
    """A malformed command; the message explains it and shows an example."""


@dataclass(frozen=True, slots=True)
class CommandHelp:
    name: str
    args: str
    summary: str
    example: str


COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp("help", "", "what paperbell does and every command", "help"),
    CommandHelp(
        "subscribe",
        "CATEGORY... [+word] [-word] [topic:Name=term,term]",
        "get new papers of these arXiv categories here; +word keeps only papers mentioning "
        "a word, -word drops papers mentioning it, topic: labels matching papers under 🎯",
        'subscribe cs.CV cs.LG +diffusion -"medical imaging" topic:Robotics=robot,manipulation',
    ),
    CommandHelp(
        "unsubscribe",
        "[CATEGORY...] [topic:Name]",
        "stop categories or topics (no argument: stop everything)",
        "unsubscribe cs.LG",
    ),
    CommandHelp("subscriptions", "", "what this chat receives", "subscriptions"),
    CommandHelp(
        "categories",
        "[GROUP]",
        "arXiv's categories and their codes (no argument: the groups)",
        "categories cs",
    ),
    CommandHelp("paper", "ID_OR_URL...", "the full card of any paper", "paper 2508.08189"),
    CommandHelp("favorites", "", "your own ☆ favorites, newest first", "favorites"),
    CommandHelp("export", "", "your favorites as a BibTeX file", "export"),
    CommandHelp("lang", "en|zh", "the language of cards in this chat", "lang zh"),
    CommandHelp(
        "digest",
        "HH:MM [TIMEZONE]|off",
        "one message a day listing the new papers, at this time in the chat's time zone "
        "(UTC unless given, e.g. Asia/Shanghai), instead of one card per paper",
        "digest 08:30 Europe/Berlin",
    ),
    CommandHelp(
        "cap",
        "N|off",
        "at most N cards a day here; the rest of the day's come as one digest",
        "cap 20",
    ),
    CommandHelp(
        "status",
        "",
        "what this chat follows, its last delivery, whether arXiv's last mailing reached it "
        "in full, which replica polls arXiv, and arXiv's next announcement",
        "status",
    ),
    CommandHelp(
        "foryou",
        "[DAYS]",
        "your 10 best-ranked papers of the last DAYS days (default 7), learnt from your ☆",
        "foryou 3",
    ),
    CommandHelp(
        "rank",
        "on|off",
        "rank this chat's papers by its members' ☆ under a daily cap and in digests, or not",
        "rank off",
    ),
    CommandHelp("forget", "", "delete your favorites, reactions and ranking model", "forget"),
)

MAX_PAPERS_PER_COMMAND = 5


def help_for(name: str) -> CommandHelp:
    return next(c for c in COMMANDS if c.name == name)


def usage(name: str, prefix: str, language: Language = "en") -> str:
    command = help_for(name)
    return MESSAGES[language].usage.format(
        prefix=prefix, name=command.name, args=command.args, example=command.example
    )


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    categories: tuple[str, ...]
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    topics: tuple[Topic, ...]


@dataclass(frozen=True, slots=True)
class UnsubscribeRequest:
    categories: tuple[str, ...]
    topics: tuple[str, ...]


def _split(text: str, name: str, prefix: str, language: Language) -> list[str]:
    try:
        return shlex.split(text.replace("“", '"').replace("”", '"'))
    except ValueError:
        raise UsageError(
            MESSAGES[language].unbalanced_quotes.format(usage=usage(name, prefix, language))
        ) from None


def _parse_topic(token: str, name: str, prefix: str, language: Language) -> Topic:
    topic_name, _, terms = token[len("topic:") :].partition("=")
    parsed = tuple(t.strip() for t in terms.split(",") if t.strip())
    if not topic_name.strip() or not parsed:
        raise UsageError(MESSAGES[language].bad_topic.format(usage=usage(name, prefix, language)))
    return Topic(topic_name.strip(), parsed)


def _categories(raw: list[str], prefix: str, language: Language) -> tuple[str, ...]:
    known, unknown = validate(raw)
    if unknown:
        messages = MESSAGES[language]
        hints = []
        for code in unknown:
            close = suggest(code)
            hints.append(
                messages.did_you_mean.format(code=code, close=", ".join(close)) if close else code
            )
        wording = messages.unknown_category if len(unknown) == 1 else messages.unknown_categories
        raise UsageError(wording.format(hints="; ".join(hints), prefix=prefix))
    return tuple(category.code for category in known)


def parse_subscribe(text: str, prefix: str = "/", language: Language = "en") -> SubscribeRequest:
    raw_categories: list[str] = []
    include: list[str] = []
    exclude: list[str] = []
    topics: list[Topic] = []
    for token in _split(text, "subscribe", prefix, language):
        if token.lower().startswith("topic:"):
            topics.append(_parse_topic(token, "subscribe", prefix, language))
        elif token.startswith("+") and token[1:].strip():
            include.append(token[1:].strip())
        elif token.startswith("-") and token[1:].strip():
            exclude.append(token[1:].strip())
        else:
            raw_categories.append(token)
    if not raw_categories:
        raise UsageError(
            MESSAGES[language].no_category.format(usage=usage("subscribe", prefix, language))
        )
    return SubscribeRequest(
        _categories(raw_categories, prefix, language),
        tuple(include),
        tuple(exclude),
        tuple(topics),
    )


def parse_unsubscribe(
    text: str, prefix: str = "/", language: Language = "en"
) -> UnsubscribeRequest:
    raw_categories: list[str] = []
    topics: list[str] = []
    for token in _split(text, "unsubscribe", prefix, language):
        if token.lower().startswith("topic:") and token[len("topic:") :].strip():
            topics.append(token[len("topic:") :].strip())
        else:
            raw_categories.append(token)
    return UnsubscribeRequest(_categories(raw_categories, prefix, language), tuple(topics))


def parse_language(text: str, prefix: str = "/", language: Language = "en") -> Language:
    value = text.strip().lower()
    if value == "en":
        return "en"
    if value == "zh":
        return "zh"
    raise UsageError(
        MESSAGES[language].choose_language.format(usage=usage("lang", prefix, language))
    )


@dataclass(frozen=True, slots=True)
class DigestRequest:
    """`time` is "HH:MM", or None to switch digests off; `timezone` None keeps the chat's."""

    time: str | None
    timezone: str | None


_CLOCK_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
MAX_DAILY_CAP = 1000


def parse_digest(text: str, prefix: str = "/", language: Language = "en") -> DigestRequest:
    parts = text.split()
    if len(parts) == 1 and parts[0].lower() == "off":
        return DigestRequest(None, None)
    clock = _CLOCK_TIME.match(parts[0]) if parts else None
    if clock is None or len(parts) > 2:
        raise UsageError(
            MESSAGES[language].bad_digest.format(usage=usage("digest", prefix, language))
        )
    timezone = None
    if len(parts) == 2:
        try:
            ZoneInfo(parts[1])
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(
                MESSAGES[language].unknown_timezone.format(
                    zone=parts[1], usage=usage("digest", prefix, language)
                )
            ) from None
        timezone = parts[1]
    return DigestRequest(f"{int(clock[1]):02d}:{clock[2]}", timezone)


def parse_cap(text: str, prefix: str = "/", language: Language = "en") -> int | None:
    """Cards a day, or None for no limit."""
    value = text.strip().lower()
    if value == "off":
        return None
    if value.isdigit() and 1 <= int(value) <= MAX_DAILY_CAP:
        return int(value)
    raise UsageError(
        MESSAGES[language].bad_cap.format(most=MAX_DAILY_CAP, usage=usage("cap", prefix, language))
    )


FOR_YOU_DAYS = 7
MAX_FOR_YOU_DAYS = 30


def parse_days(text: str, prefix: str = "/", language: Language = "en") -> int:
    value = text.strip()
    if not value:
        return FOR_YOU_DAYS
    if value.isdigit() and 1 <= int(value) <= MAX_FOR_YOU_DAYS:
        return int(value)
    raise UsageError(
        RANKING_MESSAGES[language].bad_days.format(usage=usage("foryou", prefix, language))
    )


def parse_switch(text: str, prefix: str = "/", language: Language = "en") -> bool:
    """`/rank on|off`: True for on."""
    value = text.strip().lower()
    if value in ("on", "off"):
        return value == "on"
    raise UsageError(
        RANKING_MESSAGES[language].bad_rank.format(usage=usage("rank", prefix, language))
    )


def help_text(prefix: str = "/", language: Language = "en") -> str:
    messages = MESSAGES[language]
    lines = [messages.help_intro, ""]
    lines += [
        f"{prefix}{c.name} {c.args}".rstrip() + f" — {messages.summaries.get(c.name, c.summary)}"
        for c in COMMANDS
    ]
    lines += ["", RANKING_MESSAGES[language].reactions_help]
    lines += ["", messages.help_example.format(prefix=prefix), "", messages.acknowledgement]
    return "\n".join(lines)


def categories_text(text: str, prefix: str = "/", language: Language = "en") -> str:
    """The category codes people subscribe with: the groups, or one group's categories."""
    wanted = text.strip().lower()
    listing = groups()
    if not wanted:
        lines = [MESSAGES[language].category_groups.format(prefix=prefix)]
        for group, categories in listing.items():
            archives = dict.fromkeys(c.code.split(".")[0] for c in categories)
            lines.append(f"• {group}: {', '.join(archives)}")
        return "\n".join(lines)
    everything = [c for categories in listing.values() for c in categories]
    chosen = [c for c in everything if c.code.split(".")[0].lower() == wanted] or [
        c
        for group, categories in listing.items()
        if group.lower().startswith(wanted)
        for c in categories
    ]
    if not chosen:
        raise UsageError(MESSAGES[language].unknown_group.format(group=text.strip(), prefix=prefix))
    return "\n".join(f"{c.code} — {c.name}" for c in chosen)
