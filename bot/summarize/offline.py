"""The default summarizer: every section is lifted verbatim from the paper, never written.

With no LLM configured the card must still be useful and, above all, true: a sentence or
keyphrase can only say what the authors said. So each generated section is a sentence (or
clause, or YAKE keyphrase) of the title or abstract, chosen by cue words, and a section the
abstract gives no material for is left empty rather than filled.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Sequence
from itertools import chain

import yake

from bot.source.papers import Paper
from bot.summarize import Method, Summary
from bot.support.config import Language

TAKEAWAY_LIMIT = 200
KEY_POINTS = 3
MIN_KEYWORDS = 5
# Six, not eight: YAKE's seventh and eighth picks are mostly fragments ("cost grows").
MAX_KEYWORDS = 6
_EXPERIMENT_SENTENCES = 2
_YAKE_CANDIDATES = 30
_ELLIPSIS = "…"

# Words every abstract uses that YAKE would otherwise offer as keyphrases ("propose").
_ABSTRACT_VERBS = frozenset(
    {"propose", "proposed", "proposes", "present", "presents", "presented", "introduce"}
    | {"introduces", "show", "shows", "shown", "demonstrate", "demonstrates", "achieve"}
    | {"achieves", "achieved", "improve", "improves", "improved", "outperform", "outperforms"}
    | {"offer", "offers", "provide", "provides", "address", "addresses", "enable", "enables"}
    | {"enabled", "paper", "approach", "method", "methods", "result", "results", "novel"}
    | {"existing", "recent", "based", "using", "use", "used", "study", "work", "works"}
    | {"limits", "requires", "remains", "allows", "leads"}
)

# Spans inside which a period never ends a sentence.
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$")
_URL = re.compile(r"https?://\S+?(?=[.,;:!?)\]'\"]*(?:\s|$))", re.IGNORECASE)

_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+")
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "vs", "cf", "al", "fig", "figs", "eq", "eqs", "sec", "secs", "tab", "ref"}
    | {"refs", "approx", "resp", "viz", "ca", "ch", "app", "appx", "thm", "def", "alg", "sect"}
)
# "U.S", "w.r.t", "a.k.a": short letter groups joined by periods.
_DOTTED = re.compile(r"(?:[a-z]{1,2}\.)+[a-z]{1,2}", re.IGNORECASE)
# "et al." usually continues the sentence, but ends it when one of these opens the next.
_OPENERS = frozenset({"We", "Our", "This", "These", "The", "In", "It", "However", "Here"})

# Clause boundaries, for when an abstract has too few sentences to give three key points.
_CLAUSE = re.compile(
    r"(?:;|:|,(?= (?:and|but|while|whereas|which|where|thus|yielding|enabling|allowing)\b)"
    r"| —| --) "
)
_MIN_CLAUSE_WORDS = 3

# Sentences that only point at code or data: true, but no use as a point or a method part.
_BOILERPLATE = re.compile(
    r"https?://|\bavailable at\b|\bwe (?:release|open-source)\b"
    r"|\b(?:code|implementation|resources|weights|checkpoints|models|datasets?)\b[^.]{0,40}"
    r"\b(?:is|are|will be|has been|have been) (?:publicly |freely |openly )?(?:available|released)",
    re.IGNORECASE,
)

Cues = tuple[tuple[re.Pattern[str], float], ...]


def _cues(*weighted: tuple[str, float]) -> Cues:
    return tuple((re.compile(pattern, re.IGNORECASE), weight) for pattern, weight in weighted)


_CONTRIBUTION = _cues(
    (r"\bwe (?:propose|present|introduce|develop|design|build|release)\b", 4),
    (r"\bthis (?:paper|survey|work|study|article|review|thesis|note)\b", 3),
    (r"\bwe (?:show|demonstrate|prove|establish|find)\b", 2),
    (r"\bour\b", 1),
)
_PROBLEM = _cues(
    (r"\b(?:however|existing|limit\w*|lack\w*|suffer\w*|struggle\w*)\b", 2),
    (r"\bopen (?:challenges|problems|questions)\b", 2),
    (r"\b(?:challeng\w*|problems?|difficult\w*|bottlenecks?|remains? unclear)\b", 1),
)
_FRAMEWORK = _cues(
    (r"\b(?:frameworks?|architectures?|pipelines?|consists? of|comprises?|modules?)\b", 1),
    (r"\b(?:components?|stages?|encoder|decoder|backbone)\b", 1),
)
_INNOVATION = _cues(
    (r"\b(?:novel|unlike|new|first to|the first|instead of|rather than)\b", 1),
)
_DESIGN = _cues(
    (r"\b(?:loss|design|layers?|attention|objective|training|regulari[sz]\w*)\b", 1),
    (r"\b(?:mechanism|reward|trained|fine-tun\w*)\b", 1),
)
# A result needs a strong cue: "benchmark progress" or "evaluation protocols" alone, or a
# survey's "more than 200 works", report no experiment.
_RESULT_STRONG = _cues(
    (r"\b(?:outperform\w*|surpass\w*|state[- ]of[- ]the[- ]art|SOTA|speed-?ups?)\b", 2),
    (r"\b(?:experiment\w*|empirical\w*)\b", 2),
    (r"\bresults (?:show|demonstrate|indicate|confirm|suggest|reveal)\b", 2),
    (r"\d(?:\.\d+)?\s?(?:%|×|x\b|-fold\b|times\b|points\b|pp\b)", 2),
    (r"\b(?:competitive|comparable|superior|better|significant\w*) (?:performance|results)", 2),
)
_RESULT_WEAK = _cues(
    (r"\b(?:accuracy|benchmarks?|baselines?|datasets?|evaluat\w*|achiev\w*|improv\w*)\b", 1),
    (r"\b(?:performance|F1|BLEU|mAP|AUC)\b", 1),
)
_APPLICATION = _cues(
    (r"\b(?:applications?|applicab\w*|enabl(?:e|es|ing)|deploy\w*|practitioners?)\b", 1),
    (r"\b(?:can be (?:used|applied|deployed)|useful (?:for|in)|real-world|use cases?)\b", 1),
    (r"\bdownstream\b", 1),
)


def _squash(text: str | None) -> str:
    return " ".join((text or "").split())


def split_sentences(text: str) -> list[str]:
    """Sentences of an abstract, whitespace collapsed.

    Abstracts break naive splitters on "e.g.", "et al.", "Fig. 2", "$p(x). Z$" and URLs, so
    a period ends a sentence only when whitespace and a capital, digit or quote follow, it is
    outside LaTeX and URLs, and the word before it is no abbreviation.
    """
    text = _squash(text)
    protected = [m.span() for m in chain(_MATH.finditer(text), _URL.finditer(text))]
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        rest = text[match.end() :]
        if (
            rest
            and _opens_sentence(rest)
            and not any(a <= match.start() < b for a, b in protected)
            and not _abbreviation_before(text[start : match.start()], rest)
        ):
            sentences.append(text[start : match.end()].strip())
            start = match.end()
    if tail := text[start:].strip():
        sentences.append(tail)
    return sentences


def _opens_sentence(rest: str) -> bool:
    first = rest[0]
    return first.isupper() or first.isdigit() or first in "$\"'“‘"


def _abbreviation_before(before: str, rest: str) -> bool:
    words = before.split()
    if not words:
        return False
    word = words[-1].lstrip("([{\"'“‘").lower()
    if word == "al":
        return rest.split(maxsplit=1)[0] not in _OPENERS
    return word in _ABBREVIATIONS or bool(_DOTTED.fullmatch(word))


def _score(text: str, cues: Cues) -> float:
    """Each distinct cue counts, so "attention layer ... objective" beats a lone "attention"."""
    return sum(
        weight * len({match.lower() for match in pattern.findall(text)}) for pattern, weight in cues
    )


def _best(
    sentences: Sequence[str], cues: Cues, avoid: Iterable[str] = ()
) -> tuple[str | None, float]:
    """The highest-scoring sentence not in `avoid`; the earliest wins a tie."""
    avoided = set(avoid)
    best: str | None = None
    best_score = 0.0
    for sentence in sentences:
        score = _score(sentence, cues)
        if score > best_score and sentence not in avoided:
            best, best_score = sentence, score
    return best, best_score


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - len(_ELLIPSIS)]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-—") + _ELLIPSIS


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    words = (re.escape(word) for word in phrase.split())
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def _stem_words(phrase: str) -> set[str]:
    return {word.lower().removesuffix("s") for word in phrase.split()}


def _overlaps(phrase: str, chosen: str) -> bool:
    """Near-duplicates that would waste a tag: "Policy Optimization" in a longer phrase, or
    "Proximal Policy Optimization" beside "Relative Policy Optimization"."""
    a, b = phrase.lower(), chosen.lower()
    if a in b or b in a:
        return True
    wa, wb = _stem_words(phrase), _stem_words(chosen)
    return 2 * len(wa & wb) > min(len(wa), len(wb))


class OfflineSummarizer:
    """Extractive summaries from the title and abstract alone; the default without an LLM.

    Deterministic, so a stored summary never changes under a reader. It cannot translate:
    for `zh` the generated sections are the same English extracts and `translated_abstract`
    stays None (the card shows its no-translation note); the LLM summarizer gives Chinese.

    Key points are three sentences of the abstract. When it has fewer, the longest sentence
    is split at a clause boundary (";", ", while", ...) and, failing that, the title joins;
    a point is never repeated, so an abstract too short for three distinct clauses even
    with its title (an empty one, say) yields fewer.
    """

    name = "offline"

    def __init__(self) -> None:
        english = yake.KeywordExtractor(lan="en").stopword_set
        self._stopwords = frozenset(english | _ABSTRACT_VERBS)

    async def summarize(self, paper: Paper, language: Language) -> Summary:
        """Runs in a worker thread: ~15 ms an abstract (mostly YAKE) would stall the loop."""
        return await asyncio.to_thread(self.extract, paper, language)

    async def aclose(self) -> None:
        """Nothing to release: the offline summarizer holds no connections."""

    def extract(self, paper: Paper, language: Language) -> Summary:
        title = _squash(paper.title)
        abstract = _squash(paper.abstract)
        sentences = list(dict.fromkeys(split_sentences(abstract)))
        content = [s for s in sentences if not _BOILERPLATE.search(s)]
        keywords = self._keywords(title, abstract)

        contribution, _ = _best(content, _CONTRIBUTION)
        used = [contribution] if contribution else []
        parts: list[str | None] = [contribution]
        for cues in (_PROBLEM, _FRAMEWORK, _INNOVATION, _DESIGN):
            part, _ = _best(content, cues, avoid=used)
            parts.append(part)
            if part:
                used.append(part)
        problem, framework, innovation, design = parts[1:]

        return Summary(
            language=language,
            summarizer=self.name,
            takeaway=_shorten(contribution or title, TAKEAWAY_LIMIT),
            keywords=keywords,
            key_points=_key_points(title, content, keywords, contribution),
            method=Method(
                problem=problem,
                core_idea=contribution,
                framework=framework,
                key_innovation=innovation,
                key_design=design,
            ),
            experiments=_experiments(content),
            applications=_applications(content, used),
        )

    def _keywords(self, title: str, abstract: str) -> tuple[str, ...]:
        """YAKE keyphrases, each in the surface form it has in the abstract (else the title).

        YAKE normalises tokens, so a phrase that cannot be found verbatim is dropped: a
        keyword must be something the paper says. Fragments that straddle a function word
        ("Learning for Large") are dropped, and a lone common word ("visual", "Learning")
        only fills up to the minimum, since a phrase or a name ("SparseViT") says more.
        """
        text = f"{title}. {abstract}" if title[-1:].isalnum() else f"{title} {abstract}"
        text = _URL.sub(" , ", _MATH.sub(" , ", text))
        extractor = yake.KeywordExtractor(
            lan="en", n=3, top=_YAKE_CANDIDATES, stopwords=self._stopwords
        )
        phrases: list[str] = []
        for candidate, _ in extractor.extract_keywords(text):
            inner = candidate.lower().split()[1:-1]
            pattern = _phrase_pattern(candidate)
            found = pattern.search(abstract) or pattern.search(title)
            if found and not self._stopwords.intersection(inner):
                phrases.append(_squash(found.group(0)))
        chosen = _distinct(p for p in phrases if not _plain_word(p))[:MAX_KEYWORDS]
        if len(chosen) < MIN_KEYWORDS:
            chosen = _distinct(chain(chosen, phrases))[:MIN_KEYWORDS]
        return tuple(sorted(chosen, key=phrases.index))


def _plain_word(phrase: str) -> bool:
    """A single word with no capital inside or digit, unlike "SparseViT", "mAP", "GPT-4"."""
    return " " not in phrase and not any(c.isupper() or c.isdigit() for c in phrase[1:])


def _distinct(phrases: Iterable[str]) -> list[str]:
    chosen: list[str] = []
    for phrase in phrases:
        if not any(_overlaps(phrase, other) for other in chosen):
            chosen.append(phrase)
    return chosen


def _key_points(
    title: str, content: list[str], keywords: Sequence[str], takeaway: str | None
) -> tuple[str, ...]:
    """Three sentences scored by keyword coverage, contribution/result cues and position.

    The takeaway's sentence is left out when there are enough others: the card already
    shows it in bold right above.
    """
    if len(content) > KEY_POINTS:
        content = [sentence for sentence in content if sentence != takeaway]
    units = _fill_to_three(title, content)
    if len(units) <= KEY_POINTS:
        return tuple(units)
    patterns = [_phrase_pattern(k) for k in keywords]

    def score(index: int) -> float:
        sentence = units[index]
        coverage = sum(1 for p in patterns if p.search(sentence))
        cues = min(_score(sentence, _CONTRIBUTION), 2) + min(_score(sentence, _RESULT_STRONG), 2)
        position = (len(units) - index) / len(units)
        return coverage + cues + position

    ranked = sorted(range(len(units)), key=lambda i: (-score(i), i))[:KEY_POINTS]
    return tuple(units[i] for i in sorted(ranked))


def _fill_to_three(title: str, sentences: list[str]) -> list[str]:
    """Abstract sentences, split into clauses and joined by the title while fewer than three."""
    units = list(sentences)
    title_added = False
    while len(units) < KEY_POINTS:
        split = _split_longest(units)
        if split is not None:
            units = split
        elif not title_added and title and title not in units:
            units.insert(0, title)
            title_added = True
        else:
            break
    return units


def _split_longest(units: list[str]) -> list[str] | None:
    for index in sorted(range(len(units)), key=lambda i: (-len(units[i]), i)):
        halves = _split_clause(units[index])
        if halves is not None and halves[0] != halves[1] and not set(halves) & set(units):
            return [*units[:index], *halves, *units[index + 1 :]]
    return None


def _split_clause(sentence: str) -> tuple[str, str] | None:
    """Split at the clause boundary nearest the middle, when both halves are real clauses."""
    middle = len(sentence) / 2
    for match in sorted(_CLAUSE.finditer(sentence), key=lambda m: abs(m.start() - middle)):
        left = sentence[: match.start()].rstrip(" ,;:—-")
        right = sentence[match.end() :].strip()
        if len(left.split()) >= _MIN_CLAUSE_WORDS and len(right.split()) >= _MIN_CLAUSE_WORDS:
            return left, right
    return None


def _experiments(sentences: list[str]) -> str | None:
    """Up to two result sentences in reading order; None when the abstract reports none."""
    scored = [
        (-(_score(s, _RESULT_STRONG) + _score(s, _RESULT_WEAK)), i)
        for i, s in enumerate(sentences)
        if _score(s, _RESULT_STRONG) > 0
    ]
    chosen = sorted(i for _, i in sorted(scored)[:_EXPERIMENT_SENTENCES])
    return " ".join(sentences[i] for i in chosen) or None


def _applications(sentences: list[str], used: Sequence[str]) -> str | None:
    """The sentence naming uses, preferring one the method section has not shown already."""
    fresh, fresh_score = _best(sentences, _APPLICATION, avoid=used)
    any_, any_score = _best(sentences, _APPLICATION)
    return fresh if fresh is not None and fresh_score >= any_score else any_
