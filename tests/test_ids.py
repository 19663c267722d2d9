"""arXiv IDs as people paste them into a chat: what is understood, and what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.source.ids import ArxivId, InvalidArxivId, parse_arxiv_id, parse_arxiv_ids

UNDERSTOOD = [
    ("2508.08189", "2508.08189", None),
    ("2508.08189v3", "2508.08189", 3),
    ("2508.08189v12", "2508.08189", 12),
    ("arXiv:2508.08189", "2508.08189", None),
    ("ARXIV:2508.08189v3", "2508.08189", 3),
    ("arxiv: 2508.08189", "2508.08189", None),
    ("https://arxiv.org/abs/2508.08189v3", "2508.08189", 3),
    ("https://arxiv.org/pdf/2508.08189v3.pdf", "2508.08189", 3),
    ("https://arxiv.org/pdf/2508.08189v3", "2508.08189", 3),
    ("https://arxiv.org/pdf/2508.08189", "2508.08189", None),
    ("https://arxiv.org/html/2508.08189v2", "2508.08189", 2),
    ("http://export.arxiv.org/abs/2508.08189", "2508.08189", None),
    ("https://www.arxiv.org/abs/2508.08189/", "2508.08189", None),
    ("www.arxiv.org/abs/2508.08189", "2508.08189", None),
    ("arxiv.org/abs/2508.08189?context=cs.CV", "2508.08189", None),
    ("https://arxiv.org/abs/2508.08189#S3", "2508.08189", None),
    ("hep-th/9901001", "hep-th/9901001", None),
    ("hep-th/9901001v1", "hep-th/9901001", 1),
    ("HEP-TH/9901001", "hep-th/9901001", None),
    ("math.GT/0309136v2", "math/0309136", 2),
    ("https://arxiv.org/abs/math.GT/0309136", "math/0309136", None),
    ("https://arxiv.org/pdf/cond-mat/0011190v1.pdf", "cond-mat/0011190", 1),
    ("0704.0001", "0704.0001", None),
    ("1412.9999v2", "1412.9999", 2),
    ("1501.00001", "1501.00001", None),
    ("  2508.08189\n", "2508.08189", None),
    ("<2508.08189>", "2508.08189", None),
    ("<https://arxiv.org/abs/2508.08189>", "2508.08189", None),
    ('"2508.08189"', "2508.08189", None),
    ("“2508.08189”", "2508.08189", None),
    ("'2508.08189'", "2508.08189", None),
    ("`2508.08189`", "2508.08189", None),
    ("[2508.08189]", "2508.08189", None),
    ("(arXiv:2508.08189v3).", "2508.08189", 3),
    ("2508.08189.", "2508.08189", None),
    ("2508.08189,", "2508.08189", None),
    ("https://arxiv.org/abs/2508.08189!", "2508.08189", None),
]

REFUSED = [
    "",
    "   ",
    "banana",
    "2508.08189v",  # a version needs a number
    "2508.08189v0",  # versions start at 1
    "2513.00001",  # there is no month 13
    "2500.00001",  # nor a month 0
    "1234.5",
    "2508.0818",  # since 2015 the number has five digits
    "1412.00001",  # and before that four
    "0612.1234",  # new-style IDs began in April 2007
    "2508.00000",
    "hep-th/99010",  # old-style numbers have seven digits
    "hep-th/9913001",  # month 13 again
    "hep-th/0801001",  # old-style IDs ended in March 2007
    "banana/9901001",  # not an arXiv archive
    "arxiv.org/abs/",
    "https://arxiv.org/abs/",
    "https://arxiv.org/list/cs.CV/recent",
    "https://example.com/abs/2508.08189",
    "https://arxiv.org.evil.example/abs/2508.08189",
    "https://github.com/org/2508.08189",
    "doi:10.48550/arXiv.2508.08189",
    "2508.08189 2501.00001",  # two IDs are not one
    "2508.08189v3v4",
    "cs.CV",
]


@pytest.mark.parametrize(("text", "base", "version"), UNDERSTOOD)
def test_pasted_ids_are_understood(text: str, base: str, version: int | None) -> None:
    assert parse_arxiv_id(text) == ArxivId(base, version)


@pytest.mark.parametrize("text", REFUSED)
def test_things_that_are_not_arxiv_ids_are_refused(text: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)


def test_refusal_quotes_the_input_and_shows_forms_that_work() -> None:
    with pytest.raises(InvalidArxivId) as caught:
        parse_arxiv_id("banana")
    message = str(caught.value)
    assert message.startswith("“banana” is not an arXiv ID.")
    for example in ("2508.08189", "arXiv:2508.08189v3", "https://arxiv.org/abs/2508.08189"):
        assert example in message


def test_refusing_an_empty_argument_asks_for_an_id() -> None:
    with pytest.raises(InvalidArxivId, match="No arXiv ID given"):
        parse_arxiv_id("")


def test_a_very_long_paste_is_shortened_in_the_refusal() -> None:
    pasted = "x" * 500
    with pytest.raises(InvalidArxivId) as caught:
        parse_arxiv_id(pasted)
    assert len(str(caught.value)) < 200
    assert caught.value.text == pasted


def test_invalid_id_is_a_value_error_for_generic_handlers() -> None:
    assert issubclass(InvalidArxivId, ValueError)


def test_str_gives_the_id_with_its_version_when_there_is_one() -> None:
    assert str(ArxivId("2508.08189", 3)) == "2508.08189v3"
    assert str(ArxivId("2508.08189")) == "2508.08189"
    assert str(parse_arxiv_id("math.GT/0309136v2")) == "math/0309136v2"


def test_several_ids_split_on_spaces_commas_and_semicolons() -> None:
    text = "2508.08189v3, arXiv: 2501.00001\nhttps://arxiv.org/abs/hep-th/9901001 ;0704.0001"
    assert parse_arxiv_ids(text) == [
        ArxivId("2508.08189", 3),
        ArxivId("2501.00001"),
        ArxivId("hep-th/9901001"),
        ArxivId("0704.0001"),
    ]


def test_several_ids_report_the_first_bad_one_by_name() -> None:
    with pytest.raises(InvalidArxivId) as caught:
        parse_arxiv_ids("2508.08189 2513.00001 banana")
    assert caught.value.text == "2513.00001"
    assert "“2513.00001”" in str(caught.value)


def test_blank_text_holds_no_ids() -> None:
    assert parse_arxiv_ids("  , ") == []


@given(
    yymm=st.integers(min_value=1501, max_value=9912).filter(lambda n: 1 <= n % 100 <= 12),
    number=st.integers(min_value=1, max_value=99999),
    version=st.one_of(st.none(), st.integers(min_value=1, max_value=99)),
)
def test_every_modern_id_survives_its_own_links(
    yymm: int, number: int, version: int | None
) -> None:
    arxiv_id = ArxivId(f"{yymm:04d}.{number:05d}", version)
    for text in (
        str(arxiv_id),
        f"arXiv:{arxiv_id}",
        f"https://arxiv.org/abs/{arxiv_id}",
        f"https://arxiv.org/pdf/{arxiv_id}.pdf",
    ):
        assert parse_arxiv_id(text) == arxiv_id
