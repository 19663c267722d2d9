"""Code and project links that authors put in their abstract or comments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# Authors often drop the scheme ("code: github.com/x/y"); only hosts that are unmistakably
# links are recognised without one.
_URL = re.compile(
    r"(?:https?://|(?<![\w@/.-])(?=www\.|github\.com/|huggingface\.co/))[^\s<>\"'`]+",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"*_"
_PAIRS = {")": "(", "]": "[", "}": "{"}
# Links that describe the paper itself rather than code or a project.
_NOT_PROJECT_HOSTS = ("arxiv.org", "doi.org", "dx.doi.org", "creativecommons.org")


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


def _clean(url: str) -> str:
    """Drop sentence punctuation and closing brackets that the URL did not open."""
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _PAIRS and url.count(_PAIRS[last]) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url


def _label(host: str) -> str | None:
    host = host.lower().removeprefix("www.")
    if any(host == h or host.endswith("." + h) for h in _NOT_PROJECT_HOSTS):
        return None
    if host == "github.com" or host.endswith(".github.com"):
        return "GITHUB"
    if host in ("huggingface.co", "hf.co"):
        return "HUGGING FACE"
    return "PROJECT PAGE"


def find_code_links(*texts: str | None) -> tuple[Link, ...]:
    """Links in reading order, each once, labelled by host (GITHUB, HUGGING FACE, PROJECT PAGE)."""
    found: dict[str, Link] = {}
    for text in texts:
        for match in _URL.finditer(text or ""):
            url = _clean(match.group(0))
            if "://" not in url:
                url = "https://" + url
            host = urlsplit(url).hostname
            label = _label(host) if host and "." in host else None
            if label:
                found.setdefault(url.rstrip("/"), Link(label, url))
    return tuple(found.values())
