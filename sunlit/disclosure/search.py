"""Chinese search over disclosures: jieba ``cut_for_search`` tokens stored per disclosure.

The same segmentation runs on the text at publication and on the query, so a query matches the
disclosures whose current version contains its words. Tokens are stored one row each
(DisclosureSearchToken, indexed by token) so the lookup is an index scan on SQLite and PostgreSQL
alike; ranking is by the number of query tokens matched, then by their weight (title × 3).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable

_TOKEN_MAX = 32
TITLE_WEIGHT = 3


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


# Runs of Han characters go to jieba; digit runs and Latin words are tokens as they are. Splitting
# at everything else (punctuation, spaces, the ``*`` of masks) first changes nothing jieba would
# find (it never joins words across them) and lets the clause cache work: notices repeat clauses.
_PIECES = re.compile(r"\d+(?:\.\d+)?|[A-Za-z]+|[\u3400-\u9fff]+")


@functools.lru_cache(maxsize=50_000)
def _segment_han(run: str) -> tuple[str, ...]:
    return tuple(t for t in _jieba().cut_for_search(run) if len(t) >= 2)


def segment(text: str) -> list[str]:
    """Search tokens of ``text``: lower-cased, without punctuation, masks or one-character words."""
    if not text:
        return []
    tokens = []
    for match in _PIECES.finditer(text):
        piece = match.group().lower()
        if piece[0].isdigit() or piece.isascii():
            words: tuple[str, ...] = (piece,) if len(piece) >= 2 else ()
        else:
            words = _segment_han(piece)
        tokens.extend(w[:_TOKEN_MAX] for w in words)
    return tokens


def weighted_tokens(title: str, texts: Iterable[str]) -> dict[str, int]:
    weights: dict[str, int] = {}
    for token in segment(title):
        weights[token] = TITLE_WEIGHT
    for text in texts:
        for token in segment(text):
            weights.setdefault(token, 1)
    return weights


def query_tokens(query: str) -> list[str]:
    seen: dict[str, None] = {}
    for token in segment((query or "")[:200]):
        seen.setdefault(token, None)
    if not seen and query and len(query.strip()) == 1:
        return []
    return list(seen)[:20]
