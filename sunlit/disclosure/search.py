"""Chinese search over disclosures: jieba ``cut_for_search`` tokens stored per disclosure.

The same segmentation runs on the text at publication and on the query, so a query matches the
disclosures whose current version contains its words. Tokens are stored one row each
(DisclosureSearchToken, indexed by token) so the lookup is an index scan on SQLite and PostgreSQL
alike; ranking is by the number of query tokens matched, then by their weight (title × 3).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_TOKEN_MAX = 32
_WORDY = re.compile(r"[\w\u4e00-\u9fff]")
TITLE_WEIGHT = 3


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def segment(text: str) -> list[str]:
    """Search tokens of ``text``: lower-cased, without punctuation, masks or one-character words."""
    if not text:
        return []
    tokens = []
    for token in _jieba().cut_for_search(text):
        token = token.strip().lower()
        if len(token) < 2 or len(token) > _TOKEN_MAX or "*" in token or not _WORDY.search(token):
            continue
        tokens.append(token)
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
