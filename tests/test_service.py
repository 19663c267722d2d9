"""The platform-neutral behaviour every adapter shares: commands in, replies out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.cards.library import Library
from bot.chat.favorites import UnknownPaper
from bot.chat.replies import CardReply, Document, FavoritesPage, Notice, Reply
from bot.chat.service import Caller, Service
from bot.source.arxiv_source import ArxivSource
from bot.store import Store
from bot.summarize.offline import OfflineSummarizer
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.papers import SEED_PAPER, make_paper

GROUP = Caller("telegram", "-1001", "group", "42", "Lab")
PRIVATE = Caller("telegram", "42", "private", "42")


async def allowed() -> bool:
    return True


async def refused() -> bool:
    return False


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    with FakeArxiv() as server:
        server.add(SEED_PAPER)
        yield server


@pytest.fixture
async def service(store: Store, arxiv: FakeArxiv) -> AsyncIterator[Service]:
    source = ArxivSource(arxiv.api_url, 0.0, 2.0, rss_url=arxiv.rss_url, backoff=0.01)
    yield Service(store, Library(store, source, OfflineSummarizer()), "en")


async def ask(service: Service, caller: Caller, command: str, args: str = "") -> list[Reply]:
    return await service.handle(caller, command, args, can_manage=allowed)


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies if isinstance(r, Notice))


async def test_help_lists_every_command(service: Service) -> None:
    text = text_of(await ask(service, PRIVATE, "help"))
    for command in ("subscribe", "unsubscribe", "subscriptions", "paper", "favorites", "export"):
        assert f"/{command}" in text


async def test_subscribing_names_unknown_categories_and_saves_nothing(
    service: Service, store: Store
) -> None:
    text = text_of(await ask(service, GROUP, "subscribe", "cs.CV cs.VISION"))
    assert "cs.VISION" in text and "Nothing was changed" in text
    chat = await store.get_chat("telegram", "-1001")
    assert chat is None or await store.list_subscriptions(chat.id) == []


async def test_subscribe_then_subscriptions_shows_categories_filters_and_topics(
    service: Service,
) -> None:
    answer = text_of(
        await ask(
            service,
            GROUP,
            "subscribe",
            'cs.cv cs.LG +diffusion -"medical imaging" topic:Robotics=robot,manipulation',
        )
    )
    assert "cs.CV" in answer and "cs.LG" in answer
    listing = text_of(await ask(service, GROUP, "subscriptions"))
    assert "cs.CV (Computer Vision and Pattern Recognition)" in listing
    assert "only diffusion" in listing and "not medical imaging" in listing
    assert "Robotics (robot, manipulation)" in listing


async def test_a_non_admin_cannot_change_a_groups_subscriptions(
    service: Service, store: Store
) -> None:
    replies = await service.handle(GROUP, "subscribe", "cs.CV", can_manage=refused)
    assert "Only chat administrators" in text_of(replies)
    assert await store.get_chat("telegram", "-1001") is None


async def test_unsubscribe_without_arguments_removes_everything(service: Service) -> None:
    await ask(service, GROUP, "subscribe", "cs.CV cs.LG")
    assert "cs.CV" in text_of(await ask(service, GROUP, "unsubscribe"))
    assert "no subscriptions" in text_of(await ask(service, GROUP, "subscriptions"))


async def test_paper_answers_with_the_full_card_and_summarizes_once(
    service: Service, store: Store, arxiv: FakeArxiv
) -> None:
    first = await ask(service, PRIVATE, "paper", "https://arxiv.org/abs/2508.08189v3")
    assert isinstance(first[0], CardReply)
    assert first[0].card.title == SEED_PAPER.title
    assert await store.get_summary("2508.08189", "en", "offline") is not None
    requests_before = len(arxiv.api_requests())
    again = await ask(service, GROUP, "paper", "2508.08189")
    assert isinstance(again[0], CardReply)
    assert len(arxiv.api_requests()) == requests_before


async def test_a_malformed_id_is_explained_without_asking_arxiv(
    service: Service, arxiv: FakeArxiv
) -> None:
    text = text_of(await ask(service, PRIVATE, "paper", "banana"))
    assert "banana" in text and "2508.08189" in text
    assert arxiv.api_requests() == []


async def test_a_paper_that_does_not_exist_is_reported(service: Service) -> None:
    text = text_of(await ask(service, PRIVATE, "paper", "2508.99999"))
    assert "no paper 2508.99999" in text


async def test_arxiv_being_down_is_reported_not_raised(service: Service, arxiv: FakeArxiv) -> None:
    arxiv.fail_next(10, status=503)
    text = text_of(await ask(service, PRIVATE, "paper", "2508.08189"))
    assert "arXiv did not answer" in text


async def test_paper_without_an_id_shows_usage(service: Service) -> None:
    assert "Example: /paper 2508.08189" in text_of(await ask(service, PRIVATE, "paper"))


async def test_lang_switches_the_cards_of_this_chat(service: Service) -> None:
    assert "Choose en or zh" in text_of(await ask(service, GROUP, "lang", "fr"))
    await ask(service, GROUP, "lang", "zh")
    (reply,) = await ask(service, GROUP, "paper", "2508.08189")
    assert isinstance(reply, CardReply) and reply.card.language == "zh"


async def test_tapping_star_twice_removes_favorite(service: Service) -> None:
    await ask(service, PRIVATE, "paper", "2508.08189")
    assert (await service.toggle_favorite("telegram", "42", "2508.08189")).saved
    assert not (await service.toggle_favorite("telegram", "42", "2508.08189")).saved


async def test_a_forged_favorite_names_an_unknown_paper(service: Service) -> None:
    with pytest.raises(UnknownPaper):
        await service.toggle_favorite("telegram", "42", "2601.00001")


async def test_favorites_are_per_user_and_export_as_bibtex(
    service: Service, store: Store, arxiv: FakeArxiv
) -> None:
    other = make_paper(arxiv_id="2509.00001", title="Another & Better Paper", doi="10.1/x")
    arxiv.add(other)
    await ask(service, PRIVATE, "paper", "2508.08189 2509.00001")
    await service.toggle_favorite("telegram", "42", "2508.08189")
    await service.toggle_favorite("telegram", "42", "2509.00001")
    await service.toggle_favorite("telegram", "7", "2508.08189")
    (page,) = await ask(service, PRIVATE, "favorites")
    assert isinstance(page, FavoritesPage) and page.total == 2
    assert page.entries[0].paper.arxiv_id == "2509.00001"
    (document,) = await ask(service, PRIVATE, "export")
    assert isinstance(document, Document)
    bib = document.content.decode()
    assert bib.count("@misc{") == 2
    assert "eprint = {2509.00001}" in bib and "doi = {10.1/x}" in bib
    assert "Another \\& Better Paper" in bib


async def test_export_without_favorites_says_how_to_add_one(service: Service) -> None:
    assert "Tap ☆" in text_of(await ask(service, PRIVATE, "export"))


async def test_an_unknown_command_points_to_help(service: Service) -> None:
    assert "/help" in text_of(await ask(service, PRIVATE, "frobnicate"))


async def test_categories_lists_the_groups_then_one_groups_codes(service: Service) -> None:
    groups = text_of(await ask(service, PRIVATE, "categories"))
    assert "Computer Science: cs" in groups and "quant-ph" in groups
    codes = text_of(await ask(service, PRIVATE, "categories", "cs"))
    assert "cs.CV — Computer Vision and Pattern Recognition" in codes
    assert "math.AG" not in codes
    assert "/categories for the groups" in text_of(await ask(service, PRIVATE, "categories", "xyz"))


async def test_an_unknown_category_points_to_the_category_list(service: Service) -> None:
    text = text_of(await ask(service, PRIVATE, "subscribe", "cs.VISION"))
    assert "Send /categories for the codes" in text
