"""Topic analysis of complaint text (投诉热点): jieba tokens → TF-IDF → NMF.

``analyse(records)`` takes any iterable of ``(region, month, text)`` — masked complaint text from
``records_from_complaints`` or the synthetic messages of ``sunlit bench complaints`` — and returns a
:class:`TopicReport`: the topics with the words behind them, and the hot issues per region and month
(each message counts for its dominant topic).

Stable across runs: records are sorted before vectorising (so the input order does not matter
either), the vocabulary is sorted by scikit-learn, NMF starts from NNDSVD with a fixed
``random_state`` and topics are ordered by size, then by their words. Weights are rounded so that
floating-point noise cannot reorder words.
"""

from __future__ import annotations

import datetime
import logging
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

STOPWORDS_FILE = Path(__file__).with_name("data") / "stopwords_zh.txt"
RANDOM_STATE = 20240601
# Words jieba must keep whole: the vocabulary of village affairs.
DOMAIN_WORDS = (
    "低保",
    "五保",
    "宅基地",
    "三资",
    "惠农补贴",
    "征地补偿",
    "危房改造",
    "村务公开",
    "优亲厚友",
    "虚报冒领",
    "吃拿卡要",
    "村集体",
    "集体资金",
    "集体土地",
    "土地流转",
    "耕地地力保护补贴",
    "一事一议",
    "公章",
    "换届选举",
    "拉票贿选",
    "白条",
    "小金库",
)
_KEEP = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]*$")  # words, not numbers or punctuation


@cache
def stopwords() -> frozenset[str]:
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for word in DOMAIN_WORDS:
        jieba.add_word(word, freq=200_000)
    return jieba


def tokenize(text: str) -> list[str]:
    """The content words of a text: jieba's precise mode, without stop words, single characters and
    numbers (amounts and dates say nothing about the topic and are personal data in places)."""
    jieba = _jieba()
    stop = stopwords()
    return [w for w in jieba.lcut(text or "", HMM=False) if len(w) > 1 and w not in stop and _KEEP.match(w)]


@dataclass(frozen=True)
class Topic:
    index: int
    label: str  # the top three words, for headings
    words: list[tuple[str, float]]  # (word, weight), strongest first
    documents: int  # messages whose dominant topic this is
    share: float


@dataclass(frozen=True)
class HotIssue:
    region: str
    month: str
    topic: int
    label: str
    count: int
    share: float  # of the messages of that region and month
    previous: int  # the same topic in the same region the month before


@dataclass
class TopicReport:
    documents: int
    analysed: int  # documents with at least one content word
    vocabulary: int
    topics: list[Topic] = field(default_factory=list)
    hot: list[HotIssue] = field(default_factory=list)  # hottest first
    cells: dict[str, dict[str, list[tuple[int, int]]]] = field(
        default_factory=dict
    )  # region → month → [(topic, n)]
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["topics"] = [{**asdict(t), "words": [list(w) for w in t.words]} for t in self.topics]
        data["cells"] = {
            r: {m: [list(x) for x in v] for m, v in months.items()} for r, months in self.cells.items()
        }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TopicReport:
        return cls(
            documents=data["documents"],
            analysed=data["analysed"],
            vocabulary=data["vocabulary"],
            topics=[Topic(**{**t, "words": [tuple(w) for w in t["words"]]}) for t in data.get("topics", [])],
            hot=[HotIssue(**h) for h in data.get("hot", [])],
            cells={
                r: {m: [tuple(x) for x in v] for m, v in months.items()}
                for r, months in data.get("cells", {}).items()
            },
            params=data.get("params", {}),
        )

    def topic(self, index: int) -> Topic | None:
        return next((t for t in self.topics if t.index == index), None)


def _previous_month(month: str) -> str:
    try:
        day = datetime.date.fromisoformat(f"{month}-01")
    except ValueError:
        return ""
    return f"{(day - datetime.timedelta(days=1)):%Y-%m}"


def analyse(
    records: Iterable[tuple[str, str, str]],
    *,
    topics: int = 8,
    top_words: int = 10,
    hot_limit: int = 30,
    min_df: int = 2,
    max_df: float = 0.5,
    max_features: int = 8000,
    random_state: int = RANDOM_STATE,
    workers: int = 1,
) -> TopicReport:
    """Find ``topics`` topics in the texts and the hot issues by region and month.

    ``workers`` > 1 tokenises in that many forked processes (POSIX; the result is the same)."""
    import numpy as np
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    rows = sorted((str(r), str(m), str(t)) for r, m, t in records)
    params = {
        "topics": topics,
        "top_words": top_words,
        "min_df": min_df,
        "max_df": max_df,
        "max_features": max_features,
        "random_state": random_state,
    }
    tokens = _tokenize_all([text for _region, _month, text in rows], workers)
    keep = [i for i, words in enumerate(tokens) if words]
    report = TopicReport(documents=len(rows), analysed=len(keep), vocabulary=0, params=params)
    if len(keep) < max(2, topics):
        return report
    vectorizer = TfidfVectorizer(
        analyzer=lambda words: words,  # already tokenised
        min_df=min(min_df, len(keep)),
        max_df=max_df if len(keep) >= 10 else 1.0,
        max_features=max_features,
        sublinear_tf=True,
        dtype=np.float32,
    )
    try:
        matrix = vectorizer.fit_transform([tokens[i] for i in keep])
    except ValueError:  # every word pruned
        return report
    vocabulary = vectorizer.get_feature_names_out()
    report.vocabulary = len(vocabulary)
    n_topics = max(1, min(topics, matrix.shape[0] - 1, matrix.shape[1] - 1))
    model = NMF(n_components=n_topics, init="nndsvd", random_state=random_state, max_iter=300, tol=1e-4)
    with warnings.catch_warnings():  # a fixed iteration cap is part of what makes runs identical
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        weights = model.fit_transform(matrix)
    components = model.components_
    dominant = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    sizes = Counter(int(t) for t in dominant if t >= 0)

    raw_topics = []
    for k in range(n_topics):
        row = components[k]
        order = sorted(range(len(row)), key=lambda j: (-round(float(row[j]), 6), vocabulary[j]))[:top_words]
        scale = float(row[order[0]]) or 1.0
        words = [(str(vocabulary[j]), round(float(row[j]) / scale, 4)) for j in order if row[j] > 0]
        raw_topics.append((k, words, sizes.get(k, 0)))
    # Stable numbering: biggest first, ties by their words.
    raw_topics.sort(key=lambda t: (-t[2], [w for w, _ in t[1]]))
    renumber = {old: new for new, (old, _w, _n) in enumerate(raw_topics)}
    report.topics = [
        Topic(
            index=renumber[old],
            label=" · ".join(w for w, _ in words[:3]),
            words=words,
            documents=n,
            share=round(n / len(keep), 4),
        )
        for old, words, n in raw_topics
    ]

    cells: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    totals: Counter = Counter()
    for position, i in enumerate(keep):
        topic = int(dominant[position])
        if topic < 0:
            continue
        region, month, _text = rows[i]
        cells[region][month][renumber[topic]] += 1
        totals[(region, month)] += 1
    report.cells = {
        region: {
            month: sorted(counter.items(), key=lambda x: (-x[1], x[0]))
            for month, counter in sorted(months.items())
        }
        for region, months in sorted(cells.items())
    }
    hot = []
    for region, months in cells.items():
        for month, counter in months.items():
            previous = months.get(_previous_month(month), Counter())
            for topic, count in counter.items():
                hot.append(
                    HotIssue(
                        region=region,
                        month=month,
                        topic=topic,
                        label=report.topics[topic].label,
                        count=count,
                        share=round(count / totals[(region, month)], 4),
                        previous=previous.get(topic, 0),
                    )
                )
    hot.sort(key=lambda h: (-h.count, -(h.count - h.previous), h.region, h.month, h.topic))
    report.hot = hot[:hot_limit]
    return report


PARALLEL_MIN = 4000  # below this, starting processes costs more than it saves


def _tokenize_all(texts: list[str], workers: int) -> list[list[str]]:
    import multiprocessing

    if workers <= 1 or len(texts) < PARALLEL_MIN or "fork" not in multiprocessing.get_all_start_methods():
        return [tokenize(text) for text in texts]
    _jieba()  # load the dictionary once, before forking, so the children share it
    stopwords()
    chunk = max(500, len(texts) // (workers * 8))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(tokenize, texts, chunksize=chunk)


def records_from_complaints(complaints: Any, *, level: str = "township") -> Iterator[tuple[str, str, str]]:
    """``(region, month, masked text)`` for a Complaint queryset: the region is the village's township
    (``level="township"``) or the village itself; only ``public_text`` (masked) is ever read."""
    from django.utils import timezone

    field = "village__parent__name" if level == "township" else "village__name"
    rows = complaints.order_by().values_list(field, "village__name", "created_at", "public_text")
    for region, village, created_at, text in rows.iterator(chunk_size=2000):
        yield (region or village, f"{timezone.localtime(created_at):%Y-%m}", text or "")
