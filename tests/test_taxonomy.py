"""The category taxonomy: names for codes, forgiving lookups, aliases and "did you mean"."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from bot.source.taxonomy import Category, groups, lookup, suggest, validate

# A sample of the official taxonomy across every group, checked name for name.
OFFICIAL = [
    ("cs.CV", "Computer Vision and Pattern Recognition", "Computer Science"),
    ("cs.LG", "Machine Learning", "Computer Science"),
    ("cs.CE", "Computational Engineering, Finance, and Science", "Computer Science"),
    ("econ.EM", "Econometrics", "Economics"),
    ("eess.IV", "Image and Video Processing", "Electrical Engineering and Systems Science"),
    ("math.AP", "Analysis of PDEs", "Mathematics"),
    ("math.GR", "Group Theory", "Mathematics"),
    ("astro-ph.CO", "Cosmology and Nongalactic Astrophysics", "Physics"),
    ("cond-mat.mes-hall", "Mesoscale and Nanoscale Physics", "Physics"),
    ("gr-qc", "General Relativity and Quantum Cosmology", "Physics"),
    ("hep-ex", "High Energy Physics - Experiment", "Physics"),
    ("hep-lat", "High Energy Physics - Lattice", "Physics"),
    ("hep-ph", "High Energy Physics - Phenomenology", "Physics"),
    ("hep-th", "High Energy Physics - Theory", "Physics"),
    ("math-ph", "Mathematical Physics", "Physics"),
    ("nlin.CD", "Chaotic Dynamics", "Physics"),
    ("nucl-ex", "Nuclear Experiment", "Physics"),
    ("nucl-th", "Nuclear Theory", "Physics"),
    ("physics.data-an", "Data Analysis, Statistics and Probability", "Physics"),
    ("quant-ph", "Quantum Physics", "Physics"),
    ("q-bio.NC", "Neurons and Cognition", "Quantitative Biology"),
    ("q-fin.TR", "Trading and Market Microstructure", "Quantitative Finance"),
    ("stat.ML", "Machine Learning", "Statistics"),
]

ALIASES = [
    ("math.IT", "cs.IT"),
    ("math.MP", "math-ph"),
    ("stat.TH", "math.ST"),
    ("cs.NA", "math.NA"),
    ("cs.SY", "eess.SY"),
    ("q-fin.EC", "econ.GN"),
]

ARCHIVES = ["astro-ph", "cond-mat", "cs", "econ", "eess", "math", "nlin", "physics", "q-bio"]


@pytest.mark.parametrize(("code", "name", "group"), OFFICIAL)
def test_official_categories_have_their_arxiv_names(code: str, name: str, group: str) -> None:
    assert lookup(code) == Category(code, name, group)


def test_every_group_of_the_official_taxonomy_is_present_with_its_full_size() -> None:
    sizes = {group: len(members) for group, members in groups().items()}
    # Subject categories plus the archive names that double as categories.
    assert sizes == {
        "Computer Science": 39,
        "Economics": 4,
        "Electrical Engineering and Systems Science": 5,
        "Mathematics": 31,
        "Physics": 55,
        "Quantitative Biology": 11,
        "Quantitative Finance": 9,
        "Statistics": 6,
    }


def test_groups_list_canonical_codes_each_once_under_their_own_group() -> None:
    listed = [c for members in groups().values() for c in members]
    assert len({c.code for c in listed}) == len(listed)
    for group, members in groups().items():
        assert all(c.group == group and lookup(c.code) == c for c in members)
    assert not {code for code, _ in ALIASES} & {c.code for c in listed}


def test_lookup_ignores_letter_case_and_surrounding_spaces() -> None:
    expected = lookup("cs.CV")
    assert expected is not None
    for typed in ("CS.cv", "cs.cv", "Cs.Cv", " cs.CV "):
        assert lookup(typed) == expected
    assert lookup("COND-MAT.MES-HALL") == lookup("cond-mat.mes-hall")


@pytest.mark.parametrize(("alias", "canonical"), ALIASES)
def test_aliases_resolve_to_the_canonical_category(alias: str, canonical: str) -> None:
    category = lookup(alias)
    assert category is not None
    assert category.code == canonical
    assert lookup(alias.upper()) == category


@pytest.mark.parametrize("archive", ARCHIVES)
def test_archive_names_act_as_categories(archive: str) -> None:
    category = lookup(archive)
    assert category is not None
    assert category.code == archive


@pytest.mark.parametrize("code", ["cs.XX", "banana", "", "cs.CV.extra", "math.MX", "cs.CV,cs.LG"])
def test_unknown_codes_are_not_found(code: str) -> None:
    assert lookup(code) is None


def test_validate_splits_known_from_unknown_keeping_order_and_dropping_repeats() -> None:
    known, unknown = validate(["CS.cv", "foo.BAR", "cs.SY", "eess.SY", "cs.CV", "hep-th", "x"])
    assert [c.code for c in known] == ["cs.CV", "eess.SY", "hep-th"]
    assert unknown == ["foo.BAR", "x"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("cs.CVV", "cs.CV"),
        ("cs.VC", "cs.CV"),  # swapped letters
        ("hep-tj", "hep-th"),
        ("astroph", "astro-ph"),
        ("cs.ML", "stat.ML"),  # right subject, wrong archive
        ("robotics", "cs.RO"),  # a name instead of a code
        ("computer vision", "cs.CV"),
        ("machine learning", "stat.ML"),
    ],
)
def test_suggestions_offer_what_was_probably_meant(typed: str, meant: str) -> None:
    suggestions = suggest(typed)
    assert meant in suggestions
    assert len(suggestions) <= 3
    assert all(getattr(lookup(code), "code", None) == code for code in suggestions)


def test_suggestions_come_best_first() -> None:
    assert suggest("cs.CVV")[0] == "cs.CV"
    assert suggest("robotics")[0] == "cs.RO"


@pytest.mark.parametrize("typed", ["xyzzy", "", "q", "12345"])
def test_nothing_is_suggested_for_gibberish(typed: str) -> None:
    assert suggest(typed) == []


def test_the_shipped_json_is_package_data_and_every_alias_points_at_a_real_category() -> None:
    raw = json.loads(resources.files("bot").joinpath("data/categories.json").read_text("utf-8"))
    codes = {code for members in raw["groups"].values() for code in members}
    assert all(target in codes and alias not in codes for alias, target in raw["aliases"].items())
    shape = re.compile(r"[a-z][a-z-]*(\.[A-Za-z-]+)?")
    assert all(shape.fullmatch(code) for code in codes)
