"""The store's contract, checked on SQLite and PostgreSQL alike (see `database_url`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from bot.store import Chat, Store
from bot.store.db import SQLITE_BUSY_TIMEOUT_MS, create_engine
from tests.conftest import sqlite_url
from tests.fakes.papers import SEED_PAPER, make_paper, make_summary

TELEGRAM_SUPERGROUP = "-1002233445566"
TELEGRAM_GROUP = "-4005006007"


@pytest.fixture
async def other_store(database_url: str) -> AsyncIterator[Store]:
    """A second connection pool on the same database, as a second process would have."""
    store = Store.connect(database_url)
    yield store
    await store.close()


async def query(database_url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def new_chat(store: Store, external_id: str = TELEGRAM_GROUP) -> Chat:
    return await store.ensure_chat("telegram", external_id, title="Vision group", language="en")


# Papers


async def test_saving_papers_reports_only_those_never_seen(store: Store) -> None:
    first = await store.save_papers(
        [make_paper(arxiv_id="2501.00001"), make_paper(arxiv_id="2501.00002")]
    )
    second = await store.save_papers(
        [make_paper(arxiv_id="2501.00002"), make_paper(arxiv_id="2501.00003")]
    )

    assert first == {"2501.00001", "2501.00002"}
    assert second == {"2501.00003"}


async def test_a_saved_paper_comes_back_field_for_field(store: Store) -> None:
    paper = make_paper(journal_ref="CVPR 2026", doi="10.1000/xyz", categories=("cs.CV", "cs.LG"))

    await store.save_papers([paper])

    assert await store.get_paper(paper.arxiv_id) == paper


async def test_datetimes_come_back_as_the_same_instant_in_utc(store: Store) -> None:
    beijing = timezone(timedelta(hours=8))
    published = datetime(2025, 8, 12, 1, 59, 30, tzinfo=beijing)

    await store.save_papers([make_paper(published=published)])
    stored = await store.get_paper(SEED_PAPER.arxiv_id)

    assert stored is not None
    assert stored.published == published
    assert stored.published.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        await store.save_papers([make_paper(published=datetime(2025, 8, 11, 17, 59))])


async def test_new_version_of_a_paper_is_not_a_new_paper(store: Store) -> None:
    await store.save_papers([make_paper(version=1, title="Draft title")])

    new = await store.save_papers([make_paper(version=2, title="Final title")])
    stored = await store.get_paper(SEED_PAPER.arxiv_id)

    assert new == set()
    assert stored is not None
    assert (stored.version, stored.title) == (2, "Final title")


async def test_an_older_version_never_overwrites_a_newer_one(store: Store) -> None:
    await store.save_papers([make_paper(version=3, title="Final title")])

    await store.save_papers([make_paper(version=1, title="Draft title")])
    stored = await store.get_paper(SEED_PAPER.arxiv_id)

    assert stored is not None
    assert (stored.version, stored.title) == (3, "Final title")


async def test_the_newest_version_in_one_batch_wins(store: Store) -> None:
    new = await store.save_papers(
        [make_paper(version=2, title="Second"), make_paper(version=1, title="First")]
    )
    stored = await store.get_paper(SEED_PAPER.arxiv_id)

    assert new == {SEED_PAPER.arxiv_id}
    assert stored is not None
    assert stored.title == "Second"


async def test_a_whole_announcement_in_one_batch_is_counted_exactly(store: Store) -> None:
    announced = [make_paper(arxiv_id=f"2501.{n:05d}") for n in range(1500)]
    await store.save_papers(announced[::2])

    new = await store.save_papers(announced)

    assert new == {paper.arxiv_id for paper in announced[1::2]}
    assert len(await store.get_papers(p.arxiv_id for p in announced)) == len(announced)


async def test_two_polls_saving_the_same_paper_at_once_report_it_new_once(
    store: Store, other_store: Store
) -> None:
    results = await asyncio.gather(
        store.save_papers([SEED_PAPER]), other_store.save_papers([SEED_PAPER])
    )

    assert sorted(results, key=len) == [set(), {SEED_PAPER.arxiv_id}]


async def test_get_papers_returns_only_stored_papers(store: Store) -> None:
    await store.save_papers([make_paper(arxiv_id="2501.00001"), make_paper(arxiv_id="2501.00002")])

    found = await store.get_papers(["2501.00002", "2501.99999"])

    assert list(found) == ["2501.00002"]
    assert found["2501.00002"].arxiv_id == "2501.00002"
    assert await store.get_paper("2501.99999") is None


# Summaries


async def test_a_summary_comes_back_with_its_method(store: Store) -> None:
    await store.save_papers([SEED_PAPER])
    summary = make_summary("zh")

    await store.save_summary(SEED_PAPER.arxiv_id, summary)

    assert await store.get_summary(SEED_PAPER.arxiv_id, "zh", summary.summarizer) == summary


async def test_summaries_are_kept_per_language_and_summarizer(store: Store) -> None:
    await store.save_papers([SEED_PAPER])
    await store.save_summary(SEED_PAPER.arxiv_id, make_summary("en", summarizer="offline"))

    assert await store.get_summary(SEED_PAPER.arxiv_id, "zh", "offline") is None
    assert await store.get_summary(SEED_PAPER.arxiv_id, "en", "llm") is None


async def test_saving_a_summary_again_replaces_it(store: Store) -> None:
    await store.save_papers([SEED_PAPER])
    await store.save_summary(SEED_PAPER.arxiv_id, make_summary(takeaway="Old takeaway."))

    await store.save_summary(SEED_PAPER.arxiv_id, make_summary(takeaway="New takeaway."))
    stored = await store.get_summary(SEED_PAPER.arxiv_id, "en", "test")

    assert stored is not None
    assert stored.takeaway == "New takeaway."


async def test_two_workers_saving_the_same_summary_at_once_both_succeed(
    store: Store, other_store: Store
) -> None:
    await store.save_papers([SEED_PAPER])
    summary = make_summary()

    await asyncio.gather(
        store.save_summary(SEED_PAPER.arxiv_id, summary),
        other_store.save_summary(SEED_PAPER.arxiv_id, summary),
    )

    assert await store.get_summary(SEED_PAPER.arxiv_id, "en", summary.summarizer) == summary


# Chats


async def test_telegram_ids_beyond_32_bits_round_trip(store: Store) -> None:
    external_id = str(-(2**40) - 7)

    created = await store.ensure_chat("telegram", external_id, language="en")
    found = await store.get_chat("telegram", external_id)

    assert found == created
    assert found is not None
    assert int(found.external_id) == -(2**40) - 7


async def test_a_new_chat_starts_active_in_utc_without_digest_or_cap(store: Store) -> None:
    chat = await store.ensure_chat("slack", "C0123ABCD", title="#papers", language="zh")

    assert (chat.platform, chat.external_id, chat.title, chat.language) == (
        "slack",
        "C0123ABCD",
        "#papers",
        "zh",
    )
    assert chat.active and chat.inactive_reason is None
    assert (chat.timezone, chat.digest_time, chat.daily_cap) == ("UTC", None, None)
    assert chat.created_at.tzinfo is not None


async def test_ensure_chat_keeps_the_chats_own_language(store: Store) -> None:
    chat = await new_chat(store)
    await store.set_language(chat.id, "zh")

    again = await store.ensure_chat("telegram", TELEGRAM_GROUP, language="en")

    assert again.id == chat.id
    assert again.language == "zh"


async def test_ensure_chat_refreshes_a_given_title_and_keeps_it_otherwise(store: Store) -> None:
    await store.ensure_chat("telegram", TELEGRAM_GROUP, title="Old name", language="en")

    renamed = await store.ensure_chat("telegram", TELEGRAM_GROUP, title="New name", language="en")
    untitled = await store.ensure_chat("telegram", TELEGRAM_GROUP, language="en")

    assert renamed.title == untitled.title == "New name"


async def test_the_same_id_on_two_platforms_is_two_chats(store: Store) -> None:
    telegram = await store.ensure_chat("telegram", "12345", language="en")
    slack = await store.ensure_chat("slack", "12345", language="en")

    assert telegram.id != slack.id


async def test_concurrent_first_contact_creates_one_chat(store: Store, other_store: Store) -> None:
    chats = await asyncio.gather(
        *(
            s.ensure_chat("telegram", TELEGRAM_GROUP, language="en")
            for s in [store, other_store] * 3
        )
    )

    assert len({chat.id for chat in chats}) == 1


async def test_a_deactivated_chat_stays_inactive_until_reactivated(store: Store) -> None:
    chat = await new_chat(store)

    await store.deactivate_chat(chat.id, "bot was kicked")
    seen_again = await store.ensure_chat("telegram", TELEGRAM_GROUP, language="en")
    await store.reactivate_chat(chat.id)
    back = await store.get_chat("telegram", TELEGRAM_GROUP)

    assert (seen_again.active, seen_again.inactive_reason) == (False, "bot was kicked")
    assert back is not None
    assert (back.active, back.inactive_reason) == (True, None)


async def test_migrating_a_group_keeps_its_subscriptions(store: Store, database_url: str) -> None:
    await store.save_papers([SEED_PAPER])
    group = await new_chat(store, TELEGRAM_GROUP)
    await store.subscribe(group.id, ["cs.CV", "cs.LG"], include=["diffusion"])
    await store.set_topic(group.id, "RL", ["reinforcement learning"])
    await store.enqueue_deliveries([(group.id, SEED_PAPER.arxiv_id)])

    moved = await store.migrate_chat("telegram", TELEGRAM_GROUP, TELEGRAM_SUPERGROUP)

    assert (moved.id, moved.external_id) == (group.id, TELEGRAM_SUPERGROUP)
    assert await store.get_chat("telegram", TELEGRAM_GROUP) is None
    assert [s.category for s in await store.list_subscriptions(moved.id)] == ["cs.CV", "cs.LG"]
    assert [t.name for t in await store.list_topics(moved.id)] == ["RL"]
    assert await query(database_url, "SELECT chat_id FROM deliveries") == [(group.id,)]


async def test_migrating_onto_a_chat_already_seen_merges_without_duplicates(
    store: Store, database_url: str
) -> None:
    older, newer = make_paper(arxiv_id="2501.00001"), make_paper(arxiv_id="2501.00002")
    await store.save_papers([older, newer])
    group = await new_chat(store, TELEGRAM_GROUP)
    await store.set_language(group.id, "zh")
    await store.subscribe(group.id, ["cs.CV"], include=["from the group"])
    await store.subscribe(group.id, ["cs.LG"])
    await store.set_topic(group.id, "RL", ["reinforcement learning"])
    await store.enqueue_deliveries([(group.id, older.arxiv_id), (group.id, newer.arxiv_id)])
    supergroup = await new_chat(store, TELEGRAM_SUPERGROUP)
    await store.subscribe(supergroup.id, ["cs.CV"], include=["from the supergroup"])
    await store.enqueue_deliveries([(supergroup.id, older.arxiv_id)])

    merged = await store.migrate_chat("telegram", TELEGRAM_GROUP, TELEGRAM_SUPERGROUP)

    assert merged == supergroup
    assert await store.get_chat("telegram", TELEGRAM_GROUP) is None
    subscriptions = await store.list_subscriptions(supergroup.id)
    assert [(s.category, s.include) for s in subscriptions] == [
        ("cs.CV", ("from the supergroup",)),
        ("cs.LG", ()),
    ]
    assert [t.name for t in await store.list_topics(supergroup.id)] == ["RL"]
    rows = await query(database_url, "SELECT chat_id, paper_id FROM deliveries ORDER BY paper_id")
    assert rows == [(supergroup.id, older.arxiv_id), (supergroup.id, newer.arxiv_id)]


async def test_a_migration_reported_twice_lands_in_the_same_chat(store: Store) -> None:
    group = await new_chat(store, TELEGRAM_GROUP)
    await store.subscribe(group.id, ["cs.CV"])

    first = await store.migrate_chat("telegram", TELEGRAM_GROUP, TELEGRAM_SUPERGROUP)
    second = await store.migrate_chat("telegram", TELEGRAM_GROUP, TELEGRAM_SUPERGROUP)

    assert first == second
    assert [s.category for s in await store.list_subscriptions(first.id)] == ["cs.CV"]


async def test_migration_racing_first_contact_in_the_new_chat_leaves_one_chat(
    store: Store, other_store: Store
) -> None:
    for round_ in range(5):
        old, new = f"-{400 + round_}", f"-100{400 + round_}"
        group = await new_chat(store, old)
        await store.subscribe(group.id, ["cs.CV"])

        await asyncio.gather(
            store.migrate_chat("telegram", old, new),
            other_store.ensure_chat("telegram", new, language="en"),
        )

        survivor = await store.get_chat("telegram", new)
        assert await store.get_chat("telegram", old) is None
        assert survivor is not None
        assert [s.category for s in await store.list_subscriptions(survivor.id)] == ["cs.CV"]


async def test_migrating_an_unknown_chat_raises_lookup_error(store: Store) -> None:
    with pytest.raises(LookupError):
        await store.migrate_chat("telegram", TELEGRAM_GROUP, TELEGRAM_SUPERGROUP)


# Subscriptions


async def test_subscribe_returns_each_category_with_its_filters(store: Store) -> None:
    chat = await new_chat(store)

    subscriptions = await store.subscribe(
        chat.id, ["cs.LG", "cs.CV", "cs.LG"], include=["diffusion model"], exclude=["survey"]
    )

    assert [(s.chat_id, s.category, s.include, s.exclude) for s in subscriptions] == [
        (chat.id, "cs.CV", ("diffusion model",), ("survey",)),
        (chat.id, "cs.LG", ("diffusion model",), ("survey",)),
    ]
    assert await store.list_subscriptions(chat.id) == subscriptions


async def test_resubscribing_a_category_replaces_its_filters(store: Store) -> None:
    chat = await new_chat(store)
    await store.subscribe(chat.id, ["cs.CV"], include=["diffusion"])

    await store.subscribe(chat.id, ["cs.CV"], exclude=["survey"])
    [subscription] = await store.list_subscriptions(chat.id)

    assert (subscription.include, subscription.exclude) == ((), ("survey",))


async def test_subscribe_is_all_or_nothing(store: Store) -> None:
    chat = await new_chat(store)
    before = await store.subscribe(chat.id, ["cs.CV"], include=["diffusion"])

    with pytest.raises(IntegrityError):
        await store.subscribe(chat.id, ["cs.CV", "cs.LG", ""], include=["transformer"])

    assert await store.list_subscriptions(chat.id) == before


async def test_unsubscribe_returns_only_categories_that_were_followed(store: Store) -> None:
    chat = await new_chat(store)
    await store.subscribe(chat.id, ["cs.CV", "cs.LG"])

    removed = await store.unsubscribe(chat.id, ["cs.CV", "math.AG"])

    assert removed == ["cs.CV"]
    assert [s.category for s in await store.list_subscriptions(chat.id)] == ["cs.LG"]


async def test_unsubscribe_without_categories_removes_them_all(store: Store) -> None:
    chat = await new_chat(store)
    await store.subscribe(chat.id, ["cs.LG", "cs.CV"])

    assert await store.unsubscribe(chat.id) == ["cs.CV", "cs.LG"]
    assert await store.list_subscriptions(chat.id) == []


async def test_inactive_chats_drop_out_of_what_is_fetched_and_matched(store: Store) -> None:
    listening = await new_chat(store, "-1")
    kicked = await new_chat(store, "-2")
    await store.subscribe(listening.id, ["cs.CV"])
    await store.subscribe(kicked.id, ["cs.CV", "math.AG"])

    await store.deactivate_chat(kicked.id, "bot was kicked")

    assert [(s.chat_id, s.category) for s in await store.active_subscriptions()] == [
        (listening.id, "cs.CV")
    ]


# Topics


async def test_setting_a_topic_again_replaces_its_terms(store: Store) -> None:
    chat = await new_chat(store)
    first = await store.set_topic(chat.id, "RL", ["reinforcement learning"])

    second = await store.set_topic(chat.id, "RL", ["policy gradient", "RLHF"])

    assert second.id == first.id
    assert await store.list_topics(chat.id) == [second]
    assert second.terms == ("policy gradient", "RLHF")


async def test_topics_are_listed_by_name(store: Store) -> None:
    chat = await new_chat(store)
    await store.set_topic(chat.id, "VLA", ["vision-language-action"])
    await store.set_topic(chat.id, "Diffusion", ["diffusion"])

    assert [t.name for t in await store.list_topics(chat.id)] == ["Diffusion", "VLA"]


async def test_remove_topic_reports_whether_it_existed(store: Store) -> None:
    chat = await new_chat(store)
    await store.set_topic(chat.id, "RL", ["reinforcement learning"])

    assert await store.remove_topic(chat.id, "RL") is True
    assert await store.remove_topic(chat.id, "RL") is False
    assert await store.list_topics(chat.id) == []


# Favorites


async def test_tapping_star_twice_removes_favorite(store: Store) -> None:
    await store.save_papers([SEED_PAPER])

    first = await store.toggle_favorite("telegram", "42", SEED_PAPER.arxiv_id)
    starred = await store.is_favorite("telegram", "42", SEED_PAPER.arxiv_id)
    second = await store.toggle_favorite("telegram", "42", SEED_PAPER.arxiv_id)

    assert (first, starred, second) == (True, True, False)
    assert await store.is_favorite("telegram", "42", SEED_PAPER.arxiv_id) is False


async def test_two_users_favoriting_the_same_paper_concurrently_each_get_their_own(
    store: Store, other_store: Store
) -> None:
    await store.save_papers([SEED_PAPER])
    users = [str(n) for n in range(8)]

    results = await asyncio.gather(
        *(
            (store if n % 2 else other_store).toggle_favorite("slack", user, SEED_PAPER.arxiv_id)
            for n, user in enumerate(users)
        )
    )

    assert results == [True] * len(users)
    assert await store.favorite_count(SEED_PAPER.arxiv_id, "slack") == len(users)
    for user in users:
        assert await store.is_favorite("slack", user, SEED_PAPER.arxiv_id)


async def test_favorites_are_listed_newest_first_one_page_at_a_time(store: Store) -> None:
    papers = [make_paper(arxiv_id=f"2501.0000{n}") for n in range(1, 4)]
    await store.save_papers(papers)
    for paper in papers:
        await store.toggle_favorite("telegram", "42", paper.arxiv_id)

    first_page = await store.list_favorites("telegram", "42", limit=2)
    second_page = await store.list_favorites("telegram", "42", offset=2, limit=2)

    assert [f.paper for f in first_page + second_page] == papers[::-1]
    assert first_page[0].favorited_at >= first_page[1].favorited_at
    assert first_page[0].favorited_at.tzinfo is not None
    assert await store.count_favorites("telegram", "42") == len(papers)


async def test_favorites_are_kept_apart_per_platform(store: Store) -> None:
    await store.save_papers([SEED_PAPER])

    await store.toggle_favorite("telegram", "42", SEED_PAPER.arxiv_id)

    assert await store.is_favorite("slack", "42", SEED_PAPER.arxiv_id) is False
    assert await store.count_favorites("slack", "42") == 0
    assert await store.favorite_count(SEED_PAPER.arxiv_id, "telegram") == 1
    assert await store.favorite_count(SEED_PAPER.arxiv_id, "slack") == 0


async def test_remove_favorite_reports_whether_it_was_a_favorite(store: Store) -> None:
    await store.save_papers([SEED_PAPER])
    await store.toggle_favorite("telegram", "42", SEED_PAPER.arxiv_id)

    assert await store.remove_favorite("telegram", "42", SEED_PAPER.arxiv_id) is True
    assert await store.remove_favorite("telegram", "42", SEED_PAPER.arxiv_id) is False
    assert await store.list_favorites("telegram", "42") == []


async def test_only_a_stored_paper_can_be_starred(store: Store) -> None:
    with pytest.raises(IntegrityError):
        await store.toggle_favorite("telegram", "42", "2501.99999")


# Deliveries


async def test_enqueue_twice_creates_one_delivery(store: Store, database_url: str) -> None:
    await store.save_papers([SEED_PAPER])
    chat = await new_chat(store)

    first = await store.enqueue_deliveries([(chat.id, SEED_PAPER.arxiv_id)])
    second = await store.enqueue_deliveries([(chat.id, SEED_PAPER.arxiv_id)])

    assert (first, second) == (1, 0)
    assert await query(database_url, "SELECT count(*) FROM deliveries") == [(1,)]


async def test_enqueue_counts_only_pairs_not_queued_before(store: Store) -> None:
    papers = [make_paper(arxiv_id="2501.00001"), make_paper(arxiv_id="2501.00002")]
    await store.save_papers(papers)
    one, two = await new_chat(store, "-1"), await new_chat(store, "-2")
    await store.enqueue_deliveries([(one.id, papers[0].arxiv_id)])

    new = await store.enqueue_deliveries(
        [(one.id, papers[0].arxiv_id), (one.id, papers[1].arxiv_id), (two.id, papers[0].arxiv_id)]
        * 2
    )

    assert new == 2
    assert await store.enqueue_deliveries([]) == 0


async def test_concurrent_enqueue_creates_one_delivery(
    store: Store, other_store: Store, database_url: str
) -> None:
    await store.save_papers([SEED_PAPER])
    chat = await new_chat(store)
    pair = [(chat.id, SEED_PAPER.arxiv_id)]

    counts = await asyncio.gather(
        store.enqueue_deliveries(pair), other_store.enqueue_deliveries(pair)
    )

    assert sorted(counts) == [0, 1]
    assert await query(database_url, "SELECT count(*) FROM deliveries") == [(1,)]


async def test_a_new_delivery_is_pending_and_due_at_once(store: Store, database_url: str) -> None:
    await store.save_papers([SEED_PAPER])
    chat = await new_chat(store)

    await store.enqueue_deliveries([(chat.id, SEED_PAPER.arxiv_id)])
    [(state, attempts, due)] = await query(
        database_url, "SELECT state, attempts, next_attempt_at FROM deliveries"
    )

    assert (state, attempts) == ("pending", 0)
    assert due is not None


async def test_a_delivery_needs_a_known_chat_and_paper(store: Store) -> None:
    chat = await new_chat(store)

    with pytest.raises(IntegrityError):
        await store.enqueue_deliveries([(chat.id, "2501.99999")])


# Engine


async def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(sqlite_url(tmp_path / "paperbell.db"))
    try:
        async with engine.connect() as conn:
            journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            timeout = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
            foreign_keys = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
    finally:
        await engine.dispose()

    assert (journal, timeout, foreign_keys) == ("wal", SQLITE_BUSY_TIMEOUT_MS, 1)


async def test_a_new_sqlite_database_gets_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "paperbell.db"
    engine = create_engine(sqlite_url(path))
    try:
        async with engine.connect() as conn:
            await conn.execute(text("CREATE TABLE probe (x INTEGER)"))
    finally:
        await engine.dispose()

    assert path.is_file()


@pytest.mark.postgres
async def test_postgres_datetimes_come_back_in_utc_whatever_the_session_time_zone(
    migrated_postgres: str,
) -> None:
    shanghai = f"{migrated_postgres}?options=-c%20timezone%3DAsia/Shanghai"
    store = Store.connect(shanghai)
    try:
        await store.save_papers([make_paper(arxiv_id="2501.77777")])
        [(server_zone,)] = await query(shanghai, "SHOW timezone")
        stored = await store.get_paper("2501.77777")
    finally:
        await store.close()

    assert server_zone == "Asia/Shanghai"
    assert stored is not None
    assert stored.published == SEED_PAPER.published
    assert stored.published.utcoffset() == timedelta(0)
