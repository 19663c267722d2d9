"""The adapter's own Block Kit stays within Slack's limits whatever it is given, and text
from people or arXiv can never format, link or mention anyone."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.chat.replies import FavoritesPage
from bot.delivery.platforms import DigestEntry
from bot.store import FavoritePaper, Subscription
from bot.words.messages import MESSAGES
from handlers.slack import blocks
from tests.fakes.block_kit import block_texts, validate_blocks
from tests.fakes.papers import make_paper

HOSTILE_TITLE = "<!channel> *Everyone* read <https://evil.example|this> & _that_"


def mrkdwn_texts(value: object) -> list[str]:
    """Every mrkdwn text object's text in `value`: the only place Slack formats."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            found.append(value["text"])
        for item in value.values():
            found += mrkdwn_texts(item)
    elif isinstance(value, list):
        for item in value:
            found += mrkdwn_texts(item)
    return found


def test_a_notice_longer_than_a_section_is_split_and_loses_nothing() -> None:
    lines = [f"line {n}: " + "x" * 90 for n in range(120)]

    message = blocks.notice("\n".join(lines))

    validate_blocks(message.blocks, message.text)
    assert len(message.blocks) > 1
    assert "\n".join(block_texts(message.blocks)).split("\n") == lines


def test_a_notice_with_one_huge_line_is_cut_into_sections_that_fit() -> None:
    line = "word " * 2000

    message = blocks.notice(line)

    validate_blocks(message.blocks, message.text)
    assert len(message.blocks) > 1
    assert "".join(block_texts(message.blocks)).replace(" ", "") == line.replace(" ", "")


def test_notices_are_plain_text_so_nothing_in_them_formats_or_mentions() -> None:
    message = blocks.notice(HOSTILE_TITLE)

    assert mrkdwn_texts(message.blocks) == []
    assert "<!channel>" not in message.text


def test_a_digest_shows_hostile_titles_only_as_plain_text() -> None:
    entries = [DigestEntry(make_paper(title=HOSTILE_TITLE), HOSTILE_TITLE)]

    message = blocks.digest("Digest", entries, "en")

    validate_blocks(message.blocks, message.text)
    assert HOSTILE_TITLE in "\n".join(block_texts(message.blocks))
    assert not any("<!channel>" in text for text in mrkdwn_texts(message.blocks))


def test_a_snippet_of_many_entries_fits_one_message_and_counts_what_it_left_out() -> None:
    entries = [f"@article{{paper{n},\n  title = {{{'T' * 200}}},\n}}" for n in range(1000)]

    message = blocks.snippet(
        "favorites.bib", "\n\n".join(entries), "1000 favorites", MESSAGES["en"]
    )

    validate_blocks(message.blocks, message.text)
    shown = sum(text.count("@article") for text in block_texts(message.blocks))
    assert 0 < shown < 1000
    assert f"{1000 - shown} more entries did not fit." in block_texts(message.blocks)


def test_a_snippet_escapes_what_slack_would_read_as_markup() -> None:
    message = blocks.snippet(
        "f.bib", "@article{x, title = {A <b> & C}}", "1 favorite", MESSAGES["en"]
    )

    (code,) = [t for t in mrkdwn_texts(message.blocks) if t.startswith("```")]
    assert "A &lt;b&gt; &amp; C" in code


def test_a_full_app_home_stays_within_the_views_limits() -> None:
    favorites = tuple(
        FavoritePaper(make_paper(arxiv_id=f"2509.{n:05d}", title=HOSTILE_TITLE), datetime.now(UTC))
        for n in range(5)
    )
    page = FavoritesPage(favorites, page=2, pages=7, total=33)
    subscription = Subscription(
        id=1,
        chat_id=1,
        category="cs.SE",
        include=("flaky",),
        exclude=("<!here>",),
        created_at=datetime.now(UTC),
    )
    feeds = [blocks.ChannelFeed(f"C{n:08d}", (subscription,) * 40) for n in range(30)]

    view = blocks.home_view(page, "U0ALICE", feeds, MESSAGES["en"], "/paperbell ")

    validate_blocks(view["blocks"], max_blocks=100)
    assert "…and 10 more channels." in block_texts(view["blocks"])
    assert not any("<!here>" in text for text in mrkdwn_texts(view["blocks"]))
    assert view["private_metadata"] == "2"
