"""Per-person ranking: what a person ☆-ed decides which new papers reach them first.

Every paper becomes one sparse vector: TF-IDF over its title (counted twice) and abstract,
words and word pairs, plus its categories and its authors as tokens of their own, each
part normalised and weighted. A person's model is a Rocchio profile in that space, the mean
of their positives (☆ and "more like this") minus half the mean of their "less like
this", scored against the mailing minus a shared background (the mean of recent papers),
so words every paper uses count for nothing.

Why not a classifier, as arxiv-sanity-lite does: with 3 to 10 positives a linear SVM
mostly learns what the background is not, and its weights are dense over the vocabulary.
The profile ranks better on the benchmark (`bench/rank.py`), trains in well under a
millisecond, and stays as sparse as the positives, so 10,000 people's models fit in a
few hundred MB and a mailing is scored for all of them with one sparse product per batch.

Hashing keeps the vocabulary out of memory and out of the model: only the IDF, fitted on
the stored background, is state. scikit-learn is imported here only, when the first
features are built, so the command line starts without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.source.papers import Paper

if TYPE_CHECKING:
    import numpy as np
    from scipy import sparse

MIN_POSITIVES = 3
TEXT_FEATURES = 2**20
TOKEN_FEATURES = 2**18
CATEGORY_WEIGHT = 0.3
AUTHOR_WEIGHT = 0.3
BACKGROUND_WEIGHT = 0.5
LESS_WEIGHT = 0.5
_WORD = r"(?u)\b[a-zA-Z][a-zA-Z0-9\-]+\b"


def _text(paper: Paper) -> str:
    return f"{paper.title} {paper.title} {paper.abstract}"


def _tokens(values: Sequence[str]) -> list[str]:
    return list(values)


class Features:
    """The shared vector space, fitted once on a background of recent stored papers."""

    def __init__(self, background: Sequence[Paper]) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

        self._words = HashingVectorizer(
            ngram_range=(1, 2),
            n_features=TEXT_FEATURES,
            alternate_sign=False,
            norm=None,
            stop_words="english",
            token_pattern=_WORD,
        )
        self._labels = HashingVectorizer(
            analyzer=_tokens, n_features=TOKEN_FEATURES, alternate_sign=False, norm=None
        )
        self._idf = TfidfTransformer(sublinear_tf=True)
        texts = [_text(paper) for paper in background] or ["paper"]
        self._idf.fit(self._words.transform(texts))
        if background:
            self.background: np.ndarray[Any, Any] = np.asarray(
                self.vectors(background).mean(axis=0)
            ).ravel()
        else:
            self.background = np.zeros(TEXT_FEATURES + 2 * TOKEN_FEATURES)

    def vectors(self, papers: Sequence[Paper]) -> sparse.csr_matrix:
        """One L2-normalised row per paper."""
        from scipy import sparse
        from sklearn.preprocessing import normalize

        words = normalize(self._idf.transform(self._words.transform([_text(p) for p in papers])))
        categories = normalize(
            self._labels.transform([[f"c:{c}" for c in p.categories] for p in papers])
        )
        authors = normalize(
            self._labels.transform([[f"a:{a.lower()}" for a in p.authors] for p in papers])
        )
        stacked = sparse.hstack(
            [words, CATEGORY_WEIGHT * categories, AUTHOR_WEIGHT * authors], format="csr"
        )
        return normalize(stacked)


@dataclass(frozen=True, slots=True)
class Model:
    """One person's profile, and their favorites' vectors for saying *why* a paper ranks."""

    weights: sparse.csr_matrix
    favorites: sparse.csr_matrix
    favorite_titles: tuple[str, ...]


def train(
    features: Features,
    favorites: Sequence[Paper],
    more: Sequence[Paper] = (),
    less: Sequence[Paper] = (),
) -> Model | None:
    """A person's model, or None below `MIN_POSITIVES` positives: too little to rank by."""
    if len(favorites) + len(more) < MIN_POSITIVES:
        return None
    positives = features.vectors([*favorites, *more])
    weights = positives.mean(axis=0)
    if less:
        weights = weights - LESS_WEIGHT * features.vectors(less).mean(axis=0)
    from scipy import sparse

    starred = features.vectors(favorites) if favorites else positives[:0]
    return Model(sparse.csr_matrix(weights), starred, tuple(paper.title for paper in favorites))


def scores(
    features: Features, models: Sequence[Model], vectors: sparse.csr_matrix
) -> np.ndarray[Any, Any]:
    """Papers × models: how much each paper resembles each profile beyond the background."""
    import numpy as np
    from scipy import sparse

    if not models:
        return np.zeros((vectors.shape[0], 0))
    profiles = sparse.vstack([model.weights for model in models], format="csr")
    raw = (vectors @ profiles.T).toarray()
    return np.asarray(raw - BACKGROUND_WEIGHT * (vectors @ features.background)[:, None])


def resembles(model: Model, vector: sparse.csr_matrix) -> str | None:
    """The title of the favorite this paper (one row) is closest to."""
    if not model.favorite_titles:
        return None
    similarity = (model.favorites @ vector.T).toarray().ravel()
    return model.favorite_titles[int(similarity.argmax())]


def normalised(column: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Scores on a common scale (z-scores), so members of a group weigh the same."""
    spread = column.std()
    return (column - column.mean()) / spread if spread > 0 else column * 0
