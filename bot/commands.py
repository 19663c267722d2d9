"""The command language every platform shares, and its help text.

Telegram sends `/subscribe cs.CV`, Slack `/paperbell subscribe cs.CV`; both arrive here as
a command name and its argument text, so parsing and wording live in one place.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.taxonomy import groups, suggest, validate


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
        "what this chat follows, its last delivery, and arXiv's next announcement",
        "status",
    ),
)

MAX_PAPERS_PER_COMMAND = 5


def help_for(name: str) -> CommandHelp:
    return next(c for c in COMMANDS if c.name == name)


def usage(name: str, prefix: str) -> str:
    command = help_for(name)
    return f"Usage: {prefix}{command.name} {command.args}\nExample: {prefix}{command.example}"


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


def _split(text: str, name: str, prefix: str) -> list[str]:
    try:
        return shlex.split(text.replace("“", '"').replace("”", '"'))
    except ValueError:
        raise UsageError(f"Unbalanced quotes.\n{usage(name, prefix)}") from None


def _parse_topic(token: str, name: str, prefix: str) -> Topic:
    topic_name, _, terms = token[len("topic:") :].partition("=")
    parsed = tuple(t.strip() for t in terms.split(",") if t.strip())
    if not topic_name.strip() or not parsed:
        raise UsageError(
            f"A topic needs a name and at least one term, like topic:Robotics=robot,manipulation"
            f"\n{usage(name, prefix)}"
        )
    return Topic(topic_name.strip(), parsed)


def _categories(raw: list[str], prefix: str) -> tuple[str, ...]:
    known, unknown = validate(raw)
    if unknown:
        hints = []
        for code in unknown:
            close = suggest(code)
            hints.append(f"{code} (did you mean {', '.join(close)}?)" if close else code)
        raise UsageError(
            f"Unknown arXiv categor{'y' if len(unknown) == 1 else 'ies'}: {'; '.join(hints)}. "
            f"Nothing was changed. Send {prefix}categories for the codes."
        )
    return tuple(category.code for category in known)


def parse_subscribe(text: str, prefix: str = "/") -> SubscribeRequest:
    raw_categories: list[str] = []
    include: list[str] = []
    exclude: list[str] = []
    topics: list[Topic] = []
    for token in _split(text, "subscribe", prefix):
        if token.lower().startswith("topic:"):
            topics.append(_parse_topic(token, "subscribe", prefix))
        elif token.startswith("+") and token[1:].strip():
            include.append(token[1:].strip())
        elif token.startswith("-") and token[1:].strip():
            exclude.append(token[1:].strip())
        else:
            raw_categories.append(token)
    if not raw_categories:
        raise UsageError(f"Name at least one arXiv category.\n{usage('subscribe', prefix)}")
    return SubscribeRequest(
        _categories(raw_categories, prefix),
        tuple(include),
        tuple(exclude),
        tuple(topics),
    )


def parse_unsubscribe(text: str, prefix: str = "/") -> UnsubscribeRequest:
    raw_categories: list[str] = []
    topics: list[str] = []
    for token in _split(text, "unsubscribe", prefix):
        if token.lower().startswith("topic:") and token[len("topic:") :].strip():
            topics.append(token[len("topic:") :].strip())
        else:
            raw_categories.append(token)
    return UnsubscribeRequest(_categories(raw_categories, prefix), tuple(topics))


def parse_language(text: str, prefix: str = "/") -> str:
    value = text.strip().lower()
    if value not in ("en", "zh"):
        raise UsageError(f"Choose en or zh.\n{usage('lang', prefix)}")
    return value


@dataclass(frozen=True, slots=True)
class DigestRequest:
    """`time` is "HH:MM", or None to switch digests off; `timezone` None keeps the chat's."""

    time: str | None
    timezone: str | None


_CLOCK_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
MAX_DAILY_CAP = 1000


def parse_digest(text: str, prefix: str = "/") -> DigestRequest:
    parts = text.split()
    if len(parts) == 1 and parts[0].lower() == "off":
        return DigestRequest(None, None)
    clock = _CLOCK_TIME.match(parts[0]) if parts else None
    if clock is None or len(parts) > 2:
        raise UsageError(
            "Give a time like 08:30 (and a time zone if you like), or off.\n"
            + usage("digest", prefix)
        )
    timezone = None
    if len(parts) == 2:
        try:
            ZoneInfo(parts[1])
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(
                f"Unknown time zone {parts[1]}: use a name like Europe/Berlin, Asia/Shanghai "
                f"or UTC.\n{usage('digest', prefix)}"
            ) from None
        timezone = parts[1]
    return DigestRequest(f"{int(clock[1]):02d}:{clock[2]}", timezone)


def parse_cap(text: str, prefix: str = "/") -> int | None:
    """Cards a day, or None for no limit."""
    value = text.strip().lower()
    if value == "off":
        return None
    if value.isdigit() and 1 <= int(value) <= MAX_DAILY_CAP:
        return int(value)
    raise UsageError(
        f"Give a number of cards a day from 1 to {MAX_DAILY_CAP}, or off.\n{usage('cap', prefix)}"
    )


def help_text(prefix: str = "/") -> str:
    lines = [
        "paperbell posts new arXiv papers of the categories this chat subscribes to, each as a "
        "summary card. Tap ☆ under a card to keep it in your own favorites.",
        "",
    ]
    lines += [f"{prefix}{c.name} {c.args}".rstrip() + f" — {c.summary}" for c in COMMANDS]
    lines += ["", f"Example: {prefix}subscribe cs.CV cs.LG"]
    return "\n".join(lines)


def categories_text(text: str, prefix: str = "/") -> str:
    """The category codes people subscribe with: the groups, or one group's categories."""
    wanted = text.strip().lower()
    listing = groups()
    if not wanted:
        lines = [f"arXiv's category groups. Send {prefix}categories GROUP for the codes:"]
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
        raise UsageError(
            f"No arXiv group “{text.strip()}”. Send {prefix}categories for the groups."
        )
    return "\n".join(f"{c.code} — {c.name}" for c in chosen)
