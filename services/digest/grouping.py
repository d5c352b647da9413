"""Grouping cases that describe the same problem: TF-IDF over words (jieba for Chinese,
plain words for English) and agglomerative clustering by cosine distance (scikit-learn).

A group is a set of cases whose average pairwise cosine distance stays under the threshold
(average linkage), so a chain of loosely related cases does not merge into one blob. The
threshold was chosen on the labelled set in tests/data (see docs/digest.md for precision and
recall of the pairs): words and character n-grams, since the n-grams alone merge near misses
and the words alone miss plurals and compounds.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import jieba
import numpy as np
from scipy.sparse import hstack
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

jieba.setLogLevel(logging.WARNING)

THRESHOLD = 0.8  # cosine distance, average linkage: chosen on the labelled set

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z]{2,}")
# Words that say nothing about the problem itself.
_STOP = frozenset(
    """
    the a an and or of to in on at for is are was were be been it its this that there here
    my our we i you your he she they them his her me us please help again still very since
    with from by as not no do does did have has had can could would should will just also
    but so if when then than too any some all about into out up down over near next who what
    days day week weeks yesterday today morning evening night now already been being
    了 的 是 在 我 我们 你 你们 他 她 它 有 和 与 也 都 就 还 又 很 太 把 被 让 给 对 从 到
    吗 呢 吧 啊 呀 请 帮忙 帮 一下 这个 那个 这里 那里 已经 一直 现在 今天 昨天 几天 好几天
    没有 没 不 能 可以 希望 麻烦 解决 反映 问题 情况 一个 什么 怎么 为什么 时候 每天 多次
    """.split()  # noqa: SIM905
)
_SHORT = frozenset("水电灯")  # single characters that are the problem itself


def tokens(text: str) -> list[str]:
    """Words of a case in either language, lower-cased, without stop words."""
    text = text.lower()
    out: list[str] = []
    for chunk in _CJK.findall(text):
        out.extend(w for w in jieba.lcut(chunk) if (w not in _STOP and len(w) > 1) or w in _SHORT)
    out.extend(_stem(w) for w in _WORD.findall(text) if w not in _STOP)
    return out


def _stem(word: str) -> str:
    """A light English stemmer: plurals and -ing/-ed, enough to join "lights" and "light"."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def group(texts: Sequence[str], threshold: float = THRESHOLD) -> list[int]:
    """A group label for each text (texts in one group describe the same problem)."""
    if not texts:
        return []
    if len(texts) == 1:
        return [0]
    # Words (jieba, English words) and character 2-4-grams within words, each TF-IDF
    # weighted, side by side: the n-grams join "lights"/"light" and 路灯/路灯杆, the words keep
    # 红绿灯 apart from 路灯.
    words = TfidfVectorizer(analyzer=tokens, sublinear_tf=True).fit_transform(texts)
    grams = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True
    ).fit_transform(texts)
    vectors = normalize(hstack([words, grams]).tocsr())
    if vectors.shape[1] == 0:
        return list(range(len(texts)))
    # Cosine distances from the sparse vectors (n x n, never n x vocabulary dense): a text of
    # stop words only is at distance 1 from everything, so it stays alone.
    distances = 1.0 - np.asarray((vectors @ vectors.T).todense())
    np.clip(distances, 0.0, 1.0, out=distances)
    np.fill_diagonal(distances, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
    )
    labels: list[int] = model.fit_predict(distances).tolist()
    return labels
