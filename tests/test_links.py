"""Code and project links found in an abstract or comment, as the card's link row shows them."""

from __future__ import annotations

from bot.source.links import Link, find_code_links
from tests.fakes.papers import SEED_PAPER


def test_seed_abstract_gives_its_github_repository_without_the_final_period() -> None:
    assert find_code_links(SEED_PAPER.abstract) == (
        Link("GITHUB", "https://github.com/weijiawu/Awesome-Visual-Reinforcement-Learning"),
    )


def test_links_are_labelled_by_host_in_reading_order() -> None:
    text = (
        "Code: https://github.com/org/repo, weights: https://huggingface.co/org/model, "
        "demo: https://org.github.io/project and https://hf.co/spaces/org/demo, "
        "snippets at https://gist.github.com/someone/abc123."
    )
    assert find_code_links(text) == (
        Link("GITHUB", "https://github.com/org/repo"),
        Link("HUGGING FACE", "https://huggingface.co/org/model"),
        Link("PROJECT PAGE", "https://org.github.io/project"),
        Link("HUGGING FACE", "https://hf.co/spaces/org/demo"),
        Link("GITHUB", "https://gist.github.com/someone/abc123"),
    )


def test_sentence_punctuation_after_a_link_is_not_part_of_it() -> None:
    for ending in (".", ",", ";", ":", "!", "?", "'", '"', ").", "]", "}.", "*", "_"):
        text = f"Our code (see https://github.com/org/repo{ending} for details"
        (link,) = find_code_links(text)
        assert link.url == "https://github.com/org/repo", ending


def test_parentheses_closed_inside_the_link_are_kept() -> None:
    url = "https://en.wikipedia.org/wiki/Transformer_(deep_learning_architecture)"
    assert find_code_links(f"Background (see {url}).") == (Link("PROJECT PAGE", url),)


def test_markdown_style_link_loses_only_its_closing_bracket() -> None:
    assert find_code_links("[code](https://github.com/org/repo)") == (
        Link("GITHUB", "https://github.com/org/repo"),
    )


def test_links_to_the_paper_itself_are_not_code_or_projects() -> None:
    text = (
        "Extends https://arxiv.org/abs/2401.00001 and https://export.arxiv.org/abs/2401.00002 "
        "(https://doi.org/10.1145/1234567, http://dx.doi.org/10.1/abc), licensed "
        "https://creativecommons.org/licenses/by/4.0/; code https://github.com/org/repo"
    )
    assert find_code_links(text) == (Link("GITHUB", "https://github.com/org/repo"),)


def test_a_host_merely_ending_in_an_excluded_name_is_still_a_project() -> None:
    assert find_code_links("See https://notarxiv.org/tool") == (
        Link("PROJECT PAGE", "https://notarxiv.org/tool"),
    )


def test_the_same_link_appears_once_even_with_a_trailing_slash() -> None:
    links = find_code_links(
        "Code at https://github.com/org/repo.", "Code: https://github.com/org/repo/"
    )
    assert links == (Link("GITHUB", "https://github.com/org/repo"),)


def test_links_in_the_comment_follow_those_in_the_abstract() -> None:
    abstract = "Models: https://huggingface.co/org/model."
    comment = "Accepted at ICLR 2025. Project page: https://org.github.io/proj/"
    assert find_code_links(abstract, comment) == (
        Link("HUGGING FACE", "https://huggingface.co/org/model"),
        Link("PROJECT PAGE", "https://org.github.io/proj/"),
    )


def test_a_missing_comment_is_no_error() -> None:
    assert find_code_links("No links here.", None) == ()


def test_code_hosts_written_without_a_scheme_become_https_links() -> None:
    text = "Code: github.com/org/repo. Models at huggingface.co/org/model; see www.proj.org/x."
    assert find_code_links(text) == (
        Link("GITHUB", "https://github.com/org/repo"),
        Link("HUGGING FACE", "https://huggingface.co/org/model"),
        Link("PROJECT PAGE", "https://www.proj.org/x"),
    )


def test_email_addresses_look_alike_hosts_and_bare_words_are_not_links() -> None:
    text = "Mail team@github.com, not mygithub.com/org/repo; run it on localhost or GitHub."
    assert find_code_links(text) == ()
