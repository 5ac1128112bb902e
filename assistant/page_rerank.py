"""A learned order for a question's candidate pages (retrieval, after `select_pages`).

`select_pages` (assistant/retrieval_strategies.py) fuses rank lists: every phrasing's hybrid
search, the section labels, the priority chapters, the data pages. Rank fusion throws the
scores away (a page whose passage is far closer to the question than any other counts as one
place ahead), and its weights were set by hand on a few reports. Here the first
`CANDIDATES` pages of that order are put in a new order by a linear score over explicit
features of the page for the question: its place and score in that order, how close its
passages are to the phrasings (dense: best and mean over phrasings; BM25 relative to the
phrasing's best passage), how close its section label and its chapter are, the bank's words
for the question's options on the page, its place in the report, figures and tables on it,
a restated-requirements flag, the priority-chapter score, and for a question on relevant
agencies the kinds of agency the page names. A few features also get a weight
per question (its place, dense closeness, option words, position and label closeness).

The weights are fitted (`python -m assistant.evaluation.rerank_fit`, pairwise logistic: a gold
page should score above a page that is not gold, each (report, question) weighing the same,
each labelled set weighing the same) on the dev set, devset2, devset3, the spent blind sets
and the generated short and long years, and are chosen by leave-one-set-out recall. They are
stored per embedder (assistant/rerank_weights.py,
`retrieval_weights/page-rerank__<embedder>.json`: the dense features are that embedder's
cosines); an embedder without fitted weights keeps `select_pages`' order.

Everything is computed from one report's own passages, so it never depends on other reports.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from assistant import retrieval_strategies as rs
from assistant.index import fts_query
from assistant.rerank_weights import load_weights

CANDIDATES = 30  # pages of select_pages' order that get a new order
PER_QUESTION = ("score", "dense_mean", "kw", "pos", "label_sim")  # features weighed per question
_WORD = re.compile(r"[\w']+")


def _page_texts(view, page_of: dict[str, int]) -> dict[int, str]:
    texts: dict[int, list[str]] = {}
    for chunk_id, page in page_of.items():
        texts.setdefault(page, []).append(view.text_of(chunk_id))
    return {page: "\n".join(parts).lower() for page, parts in texts.items()}


@functools.lru_cache(maxsize=2048)
def _figures(text: str) -> tuple[int, int]:
    """Figures over time and figure cells on a page (every question reads the same pages)."""
    return len(rs._FIGURE_OVER_TIME.findall(text)), len(rs._FIGURE_CELL.findall(text))


def _label_vectors(index, view, labels: list[str]) -> dict[str, np.ndarray]:
    """Each section label's vector, embedded once per report view."""
    found = getattr(view, "label_vectors", None)
    if found is None:
        found = {
            label: np.asarray(index.embedder.embed_query(label), dtype=np.float32)
            for label in dict.fromkeys(labels)
            if label
        }
        view.label_vectors = found
    return found


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))


def page_features(
    index,
    view,
    question,
    phrasings: list[str],
    fused: list[tuple[str, float]],
    contents: set[int],
) -> list[tuple[int, dict[str, float]]]:
    """(page, features) for the first `CANDIDATES` pages of `fused` (select_pages' order)."""
    labels, section_of, page_of = view.sections(index)
    order = list(
        dict.fromkeys(page_of[c] for c, _ in fused if c in page_of and page_of[c] not in contents)
    )
    candidates = order[:CANDIDATES]
    if not candidates:
        return []
    score_of: dict[int, float] = {}
    for chunk_id, score in fused:
        page = page_of.get(chunk_id)
        if page is not None and page not in score_of:
            score_of[page] = score
    top = max(score_of.values()) or 1.0
    last_page = max(page_of.values())
    n_chunks = len(page_of)
    dense: dict[int, list[float]] = {}
    lexical: dict[int, list[float]] = {}
    hit10: dict[int, int] = {}
    vectors_of = {text: index.embedder.embed_query(text) for text in phrasings}
    for text in phrasings:
        best: dict[int, float] = {}
        for distance, chunk_id in view.nearest(index, vectors_of[text], n_chunks):
            page = page_of.get(chunk_id)
            if page is not None:
                best[page] = max(best.get(page, -1.0), 1.0 - distance)
        for page, value in best.items():
            dense.setdefault(page, []).append(value)
        words = " ".join(w for w in _WORD.findall(text.lower()) if w not in rs._GENERIC)
        match = fts_query(words or text)
        found = view.search(match, n_chunks) if match else []
        if found:
            strongest = min(score for score, *_ in found) or -1.0
            relative: dict[int, float] = {}
            for score, _rid, _seq, chunk_id in found:
                page = page_of.get(chunk_id)
                if page is not None:
                    relative[page] = max(relative.get(page, 0.0), score / strongest)
            for page, value in relative.items():
                lexical.setdefault(page, []).append(value)
        for page in rs.page_order(rs._search(index, view, text, None), page_of)[:10]:
            hit10[page] = hit10.get(page, 0) + 1
    texts = _page_texts(view, page_of)
    restated = {page_of[c] for c in rs._restated(view, page_of) if c in page_of}
    chapter_of = view.structure(index).section_of
    n = len(phrasings)
    dense_mean = {page: sum(values) / n for page, values in dense.items()}
    chapters: dict[object, float] = {}
    for page, value in dense_mean.items():
        chapter = chapter_of(page)
        if chapter is not None:
            chapters[chapter] = max(chapters.get(chapter, 0.0), value)
    label_of: dict[int, str] = {}
    for chunk_id, page in page_of.items():
        label_of.setdefault(page, labels[section_of[chunk_id]] if chunk_id in section_of else "")
    vectors = _label_vectors(index, view, list(label_of.values()))
    query_vector = np.mean([vectors_of[t] for t in phrasings], axis=0)
    option_words = {
        w.lower() for words in (question.keywords or {}).values() for w in words or [] if len(w) > 3
    }
    is_data = any(rs._DATA_QUESTION.search(t) for t in phrasings)
    is_difference = any(rs._DIFFERENCE_QUESTION.search(t) for t in phrasings)
    is_agency = any(rs._AGENCY_QUESTION.search(t) for t in phrasings)
    priority = (
        rs.priority_scores(view, labels, section_of, page_of)
        if any(rs._EACH_PRIORITY.search(t) for t in phrasings)
        else {}
    )
    best_dense = max((max(v) for v in dense.values()), default=1.0)
    rows = []
    for rank, page in enumerate(candidates):
        text = texts.get(page, "")
        d, b = dense.get(page, [0.0]), lexical.get(page, [0.0])
        chapter = chapter_of(page)
        neighbour = (
            max(
                score_of.get(other, 0.0)
                if chapter is not None and chapter_of(other) == chapter
                else 0.0
                for other in (page - 1, page + 1)
            )
            / top
        )
        n_over_time, n_cells = _figures(text)
        over_time = math.log1p(n_over_time)
        label = label_of.get(page, "")
        rows.append(
            (
                page,
                {
                    "rank_log": math.log1p(rank),
                    "rank_inv": 1.0 / (1 + rank),
                    "score": score_of.get(page, 0.0) / top,
                    "dense_max": max(d),
                    "dense_mean": sum(d) / n,
                    "dense_rel": max(d) - best_dense,
                    "bm_max": max(b),
                    "bm_mean": sum(b) / n,
                    "hit10": hit10.get(page, 0) / n,
                    "pos": page / last_page,
                    "len": math.log1p(len(text)),
                    "cells": math.log1p(n_cells),
                    "overtime": over_time,
                    "restated": float(page in restated),
                    "nb": neighbour,
                    "kw": math.log1p(sum(1 for w in option_words if w in text)),
                    "prio": priority.get(page, 0.0),
                    "data_x_overtime": over_time if is_data else 0.0,
                    "chap_dense": chapters.get(chapter, 0.0) if chapter is not None else 0.0,
                    "label_sim": _cosine(query_vector, vectors[label]) if label in vectors else 0.0,
                    "bm_hit": len(b) / n if page in lexical else 0.0,
                    "diff_x_case": float(is_difference and bool(rs._CASE_LABEL.search(text))),
                    "agency_x_kinds": math.log1p(rs.agency_kinds(text)) if is_agency else 0.0,
                },
            )
        )
    return rows


def reorder(
    fused: list[tuple[str, float]], page_of: dict[str, int], pages: list[int]
) -> list[tuple[str, float]]:
    """`fused` (first passages of pages best first, then second passages) with the pages in
    `pages` first, in that order; each passage keeps its score."""
    rank = {page: n for n, page in enumerate(pages)}

    def key(item):
        n, (chunk_id, _score) = item
        page = page_of.get(chunk_id)
        return (rank.get(page, len(rank)), n)

    first, seconds, seen = [], [], set()
    for item in enumerate(fused):
        page = page_of.get(item[1][0])
        (seconds if page in seen else first).append(item)
        seen.add(page)
    return [pair for _, pair in sorted(first, key=key) + sorted(seconds, key=key)]


def rerank(index, view, question, phrasings, fused, contents) -> list[tuple[str, float]]:
    """select_pages' blocks with the candidate pages in the learned order (unchanged when the
    embedder has no fitted weights)."""
    weights = load_weights(index.embedder.name)
    if weights is None or not fused:
        return fused
    rows = page_features(index, view, question, phrasings, fused, contents)
    scored = sorted(rows, key=lambda r: (-weights.score(question.id, r[1]), r[0]))
    _labels, _sections, page_of = view.sections(index)
    return reorder(fused, page_of, [page for page, _ in scored])
