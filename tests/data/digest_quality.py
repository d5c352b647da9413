"""Pair precision and recall of the digest's grouping on the labelled set."""

from __future__ import annotations

from itertools import combinations

from services.digest.grouping import THRESHOLD, group
from tests.data.digest_cases import CASES, NEAR_MISSES


def pair_scores(threshold: float = THRESHOLD) -> dict[str, float]:
    labels = group([text for _, text in CASES], threshold)
    truth = [problem for problem, _ in CASES]
    tp = fp = fn = 0
    near_merged = 0
    near = {frozenset(p) for p in NEAR_MISSES}
    for i, j in combinations(range(len(CASES)), 2):
        same, predicted = truth[i] == truth[j], labels[i] == labels[j]
        tp += same and predicted
        fp += predicted and not same
        fn += same and not predicted
        near_merged += predicted and frozenset((truth[i], truth[j])) in near
    return {
        "cases": len(CASES),
        "groups": len(set(labels)),
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "near_miss_pairs_merged": near_merged,
    }


if __name__ == "__main__":
    for t in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        print(t, pair_scores(t))
