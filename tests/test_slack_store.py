"""The one query behind App Home's subscriptions list, on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.store import Store


async def test_subscriptions_of_many_chats_come_back_in_one_answer_by_chat_id(
    store: Store,
) -> None:
    papers = await store.ensure_chat("slack", "C0PAPERS", language="en")
    quiet = await store.ensure_chat("slack", "C0QUIET", language="en")
    gone = await store.ensure_chat("slack", "C0GONE", language="en")
    telegram = await store.ensure_chat("telegram", "C0PAPERS", language="en")
    await store.subscribe(papers.id, ["cs.SE", "cs.CL"], include=["flaky"])
    await store.subscribe(gone.id, ["cs.LG"])
    await store.deactivate_chat(gone.id, "is_archived")
    await store.subscribe(telegram.id, ["math.AG"])

    found = await store.subscriptions_of_chats(
        "slack", ["C0PAPERS", "C0QUIET", "C0GONE", "C0UNKNOWN"]
    )

    assert list(found) == ["C0PAPERS"]
    assert [(s.category, s.include) for s in found["C0PAPERS"]] == [
        ("cs.CL", ("flaky",)),
        ("cs.SE", ("flaky",)),
    ]
    assert quiet.id not in {s.chat_id for subs in found.values() for s in subs}


async def test_asking_about_no_chats_finds_nothing(store: Store) -> None:
    assert await store.subscriptions_of_chats("slack", []) == {}
