"""Page-level evidence selection for one question over one report.

The evidence budget is a handful of blocks, and a long report spreads the evidence for one
question over several pages of a chapter, or several chapters. So pages, not passages, are
ranked: each phrasing of the question ranks the report's pages (by their best passage in a
hybrid search, and by the section labels that match the phrasing), the page rankings are
fused (RRF), a page lends part of its score to the pages beside it in the same contents-page
chapter, and each page gives its best passage before any page gives a second one. The page
of the passage search's single best passage keeps the first place when the page ranking
also puts it near the top (the most precise signal for a question answered on one page).

Two general corrections: words every audit question and every yearly report use ("report",
"partners", "safeguarding") are left out of the keyword side, so "Does the report ..." does not
pull "About this report" forward; and a passage that cites the statutory guidance and repeats
its requirements (it names every topic of the audit and evidences none) moves back a few
places in each phrasing's ranking, and its page keeps half its score (its other passages are
mostly a roadmap of the report: "the final part covers reviews, scrutiny, feedback ..."),
except for a question on the period covered, which that page answers.

Everything is computed from one report's chunks, so it never depends on other reports.
Measured alternatives that lost (evals, dev set and generated year): summing passage scores
per page; demoting "hub" passages matched by most of the bank's questions (generated
reports' summary pages are real evidence); larger candidate pools (no gain, slower); no
leading place for the passage search (better first block on the dev set, much worse on the
generated year); spreading the blocks over chapters (a page's score cut for each page of its
chapter already placed: no gain at 0.9-0.6); cutting the score of pages that restate the
requirements (first block worse on the dev set then; kept now at half the score, with the
priority and synthesis rankings in place: dev @1 +0.011, @8 -0.002, fenwold's C6 key cites
that page); the guidance text as extra phrasings.
Later rounds: for the synthesis question, one more phrasing naming the should-items (dev
@8 +0.06 at best, three phrasings cut the generated year's @3) and no own first page (first
block worse on the generated year); asking the impact questions (A6, A7) of each priority;
the priority chapters for the questions on which topics are named as priorities (A2, A3: dev
@8 +0.005, the generated year's @3 -0.003 to -0.006 at a quarter to the whole weight);
more data pages (8-10) or table pages (8): dev @8 down; the case-study ranking at weight 1-2
(the generated year's A6 @8 down); for A6 "case study showing the difference made" and
"children and families told us things are better" (no dev @8 gain over "what changed for
children and families as a result"); for B2 "recommendation, action taken, status and
evidence of effect" (no change); bare percentages out of the figures-over-time count (a
population appendix's shares are not a trend: the generated year's C8 @8 +0.06, but the dev
set's scorecards print each rate on its own line, dev @8 -0.011); C8 reading A5 or B8 too.
2026-12-03, with evals/devset2 (four independent 43-52 page reports) beside the dev set and the
spent blind set: a page ranking by the question's own answer cues ("re-audit found", "you said
we did") at weight 1-3 over 3-8 pages: the first blind set @3 +0.06, the generated years @3
+0.03, the dev set @3 +0.01 and @8 -0.003, but devset2 @3 -0.01 and @8 +0.00 (and the engine's
drafts on the dev set worse: more cue pages, more options); and a coordinate search over this
module's constants on those sets: every one at a local optimum (no move of +0.002).

A question on each priority reads the report's own list of priorities ("Priority 2: Safer
outside the home") and gives every priority's chapter (labelled with its number, or with its
name alone) the same leading score for its first page, so the last priorities are not left
behind the first ones; a report without such a list falls back on its sections labelled
"Priority N".

A synthesis question (the overall judgement on the requirements) names the questions on each
requirement in the bank (`evidence_from`); its blocks are its own first page, then each of
those questions' best page in turn, then their second pages (`synthesis_order`).

A question on the difference made (impact, kinds of impact evidence) also ranks the pages of
sections that tell one child's story ("Case study: Kyle", "Meet Jamie, aged 14"), lightly:
their words share little with the question's.

A question about the period the report covers ranks the pages that state a span of dates
(the cover, the foreword), which its words do not find among pages about "the year".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from assistant.index import fts_query, rrf_fuse

PER_PHRASING = 50  # passages searched per phrasing
PAGE_RRF_K = 15  # RRF constant over page rankings (smaller: the top places weigh more)
SECTION_WEIGHT = 0.5  # weight of the section-label page rankings against the passage ones
SECTION_PAGES = 8  # pages the sections matching one phrasing may lift
SECTIONS_PER_QUERY = 3  # best-matching section labels per phrasing
NEIGHBOUR = 0.3  # share of a page's score lent to its neighbours in the same chapter
HEAD = 1  # leading places that may keep the passage search's own order ...
HEAD_WITHIN = 3  # ... when that page is also among the page ranking's first places
RESTATED_PAGE = 0.5  # score kept by a page with a passage restating the requirements
RESTATED_DROP = 8  # places a passage restating the statutory requirements moves back
DATA_WEIGHT = 2.0  # weight of the figures-over-time page ranking for a question about data
DATA_PAGES = 6  # pages that ranking may lift
TABLE_CELLS = 3  # figure cells that make a page a table of figures
TABLE_PAGES = 6  # pages of figures at one point in time placed after them

# a question about data is answered where the data are: tables and scorecards whose figures
# compare periods, which a search on the question's words ranks low (they are mostly numbers)
_DATA_QUESTION = re.compile(
    r"\b(?:data|figures|trends?|performance|dashboard|scorecard|compared with)\b", re.I
)
PRIORITY_WEIGHT = 2.0  # weight of the priority-chapter page ranking for "each priority"
CHAPTER_WEIGHT = 6.0  # weight of each stated priority's own chapter ranking
LATER_SHARE = 0.5  # share of that weight for a chapter's pages after its first
# a question about each priority is answered in the chapters the priorities list names
_EACH_PRIORITY = re.compile(r"\b(?:each|every|this)\s+priority\b", re.I)
_PRIORITY_LABEL = re.compile(
    r"\bpriority\s*(?:\d+|one|two|three|four|five|six)\b|\b(?:first|second|third|fourth|fifth)"
    r"\s+priority\b",
    re.I,
)
_FIGURE_OVER_TIME = re.compile(
    r"\b20\d\d\s*[-/–]\s*\d\d\b|\b\d+(?:\.\d+)?\s*%|\b(?:from|to|against)\s+\d[\d,.]*\b", re.I
)

CASE_WEIGHT = 0.5  # weight of the case-study page ranking for a question on the difference made
CASE_PAGES = 4  # pages that ranking may lift
# a question on the difference made is answered in case studies too, which tell one child's
# story in words that share little with the question's ("Kyle was attending four days a week")
_DIFFERENCE_QUESTION = re.compile(r"\bdifference\b|\bcase stud(?:y|ies)\b", re.I)
_CASE_LABEL = re.compile(
    r"(?i:\bcase (?:study|example)\b|\bpractice example\b|\b(?:family|child)'?s? story\b)|"
    r"^Meet\s+[A-Z]|\b[A-Z][a-z]+(?:'|\u2019)s story\b",  # "Ellie's story"
)

AGENCY_WEIGHT = 2.0  # weight of the agency page ranking for a question on relevant agencies
AGENCY_PAGES = 6  # pages that ranking may lift
AGENCY_KINDS = 3  # kinds of relevant agency named on a page that make it an agency page
_AGENCY_QUESTION = re.compile(r"\brelevant agenc", re.I)
# the kinds of relevant agency (not the three safeguarding partners) a report names; the
# offline engine reads what each kind did (its C3 rule) with the same pattern
RELEVANT_AGENCY = re.compile(
    r"\b(?P<probation>probation)\b|\b(?P<yjs>youth (?:justice|offending))\b|"
    r"\b(?P<housing>housing (?:association|provider|services?|team|officers?)|"
    r"housing\b(?=[^.;]{0,30}\b(?:protocol|notified|checks?)))|"
    r"\b(?P<fire>fire (?:and rescue|service))\b|"
    r"\b(?P<vcs>voluntary (?:and community )?sector|vcs|charit(?:y|ies))\b|"
    r"\b(?P<schools>schools|colleges?|academies|headteachers?|designated safeguarding leads?)\b|"
    r"\b(?P<early>early years (?:settings?|providers?))\b|\b(?P<ambulance>ambulance)\b|"
    r"\b(?P<cafcass>cafcass)\b|\b(?P<btp>british transport police)\b|"
    r"\b(?P<districts>district councils?)\b|\b(?P<faith>faith (?:groups?|forum|leaders))\b",
    re.IGNORECASE,
)
PERIOD_WEIGHT = 4.0  # weight of the period-statement page ranking for "the period it covers"
PERIOD_PAGES = 4  # pages that ranking may lift
# a question about the period a report covers is answered where the report states a span of
# dates ("1 April 2020 to 31 March 2021"): the cover, the foreword, "about this report"; a
# search on the question's words finds every page that mentions "the year" instead
_PERIOD_QUESTION = re.compile(r"\bperiod\b[^.?]*\bcover|\bcover\w*\b[^.?]*\bperiod\b", re.I)
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december)"
)
_PERIOD_STATEMENT = re.compile(
    rf"\b{_MONTH}\s+(?:20\d\d\s*)?(?:to|until|through|and|[-–])\s*(?:the\s+)?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH}\s+20\d\d\b",
    re.I,
)

_FIGURE_CELL = re.compile(r"^\s*\d[\d,.]*\s*%?\s*$", re.M)  # a table cell that is a figure

_GUIDANCE = re.compile(r"\bworking together\b|\bstatutory guidance\b|\bthe guidance\b", re.I)
_REQUIRES = re.compile(
    r"\b(?:must|should|requires?|required|asks?|expects?|expected|says that)\b", re.I
)


# words every question of the audit and every yearly report use: matching a section label
# on them says nothing about the question ("Does the report ..." vs "About this report")
_GENERIC = frozenset(
    "report reports annual yearly partnership partnerships partners partner safeguarding "
    "children child young people year local".split()
)


def section_query(text: str) -> str | None:
    """The FTS query of a phrasing for matching section labels, without generic words."""
    words = [w for w in re.findall(r"[\w']+", text.lower()) if w not in _GENERIC]
    return fts_query(" ".join(words))


def restates_requirements(text: str) -> bool:
    """A passage that cites the statutory guidance and repeats what it requires (two or more
    requirement verbs): it names every topic of the audit and evidences none."""
    return bool(_GUIDANCE.search(text)) and len(_REQUIRES.findall(text)) >= 2


def demote(ranking: list[str], flagged: set[str], places: int) -> list[str]:
    """The ranking with each flagged passage moved `places` places back."""
    keyed = [
        (rank + (places + 0.5 if chunk_id in flagged else 0), chunk_id)
        for rank, chunk_id in enumerate(ranking)
    ]
    return [chunk_id for _, chunk_id in sorted(keyed)]


def rrf_scores(rankings: Sequence[Sequence], k: int) -> dict:
    """Reciprocal rank fusion of rankings of any hashable items."""
    scores: dict = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


def page_order(chunk_ids: Sequence[str], page_of: dict[str, int]) -> list[int]:
    """Pages in the order of their first passage in a ranking."""
    return list(dict.fromkeys(page_of[c] for c in chunk_ids if c in page_of))


def lend_to_neighbours(scores: dict[int, float], chapter_of, share: float) -> dict[int, float]:
    """Each page adds `share` of its score to the pages beside it in its chapter (the largest
    loan a page receives counts, so a long chapter does not snowball)."""
    lent: dict[int, float] = {}
    for page, score in scores.items():
        chapter = chapter_of(page)
        if chapter is None:
            continue
        for other in (page - 1, page + 1):
            if chapter_of(other) == chapter:
                lent[other] = max(lent.get(other, 0.0), share * score)
    out = dict(scores)
    for page, score in lent.items():
        out[page] = out.get(page, 0.0) + score
    return out


def priority_pages(labels: list[str], section_of: dict[str, int], page_of) -> list[int]:
    """Pages of the sections whose label names one priority ("Priority 2: Exploitation"):
    each section's first page first, then their other pages, in reading order."""
    pages: dict[int, list[int]] = {}
    for chunk_id, number in section_of.items():
        if _PRIORITY_LABEL.search(labels[number]):
            pages.setdefault(number, [])
            if page_of[chunk_id] not in pages[number]:
                pages[number].append(page_of[chunk_id])
    firsts = [ps[0] for ps in pages.values()]
    rest = [p for ps in pages.values() for p in ps[1:]]
    return list(dict.fromkeys(firsts + rest))


_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
}
# "Priority 2: Child exploitation", "Priority 1 - Neglect": a priority's number and its name
_NAMED_PRIORITY = re.compile(
    r"\bpriority\s*(\d|one|two|three|four|five|six)\b\s*[:\-–—.]\s*([^\n/]{3,80})", re.I
)
_NAME_STOP = frozenset("the and of a an in on for to our with we".split())


def _name_words(text: str) -> set[str]:
    """Content words of a priority's name, crudely stemmed (plural s), generic words out."""
    return {
        w.rstrip("s")
        for w in re.findall(r"[a-z']+", text.lower())
        if w not in _NAME_STOP and w not in _GENERIC and len(w) > 2
    }


def stated_priorities(view, page_of: dict[str, int], labels: list[str]) -> dict[int, str]:
    """The report's numbered priorities, {number: name}: the first "Priority N: name" in
    reading order names priority N (a later list of next year's priorities does not rename
    it)."""
    names: dict[int, str] = {}
    for text in [*(view.text_of(c) for c in page_of), *labels]:
        for number, name in _NAMED_PRIORITY.findall(text):
            key = _NUMBER_WORDS.get(number.lower()) or int(number)
            if _name_words(name):
                names.setdefault(key, name.strip())
    return dict(sorted(names.items()))


def priority_chapters(
    view, labels: list[str], section_of: dict[str, int], page_of: dict[str, int]
) -> list[list[int]]:
    """For each stated priority, the pages of the sections about it, in reading order: the
    sections labelled with its number ("Scorecard: Priority 1 - Neglect") or with every word
    of its name ("Children living with domestic abuse", a chapter that does not repeat its
    number). Pages where two or more priorities are declared (the priorities list) are left
    out: they state the priorities, the chapters say what was done on each."""
    names = stated_priorities(view, page_of, labels)
    if not names:
        return []
    declared: dict[int, set[int]] = {}
    for chunk_id, page in page_of.items():
        for number, _name in _NAMED_PRIORITY.findall(view.text_of(chunk_id)):
            declared.setdefault(page, set()).add(_NUMBER_WORDS.get(number.lower()) or int(number))
    lists = {page for page, numbers in declared.items() if len(numbers) >= 2}
    label_words = [_name_words(label) for label in labels]
    chapters: list[list[int]] = []
    for number, name in names.items():
        words = _name_words(name)
        own = re.compile(rf"\bpriority\s*{number}\b", re.I)
        sections = {
            n
            for n, label in enumerate(labels)
            if own.search(label) or (words and words <= label_words[n])
        }
        numbered = [
            page_of[c] for c, n in section_of.items() if n in sections and own.search(labels[n])
        ]
        pages = numbered + [page_of[c] for c, n in section_of.items() if n in sections]
        pages = [p for p in dict.fromkeys(pages) if p not in lists]
        if pages:
            chapters.append(pages)
    return chapters


def priority_scores(
    view, labels: list[str], section_of: dict[str, int], page_of: dict[str, int]
) -> dict[int, float]:
    """Page scores for a question on each priority: every priority's chapter ranks its pages
    in reading order, with the same weight, so each priority's first page gets a leading slot
    (one ranking of all the chapters put the last priorities behind the question's own
    search). Without such chapters, the pages of the sections labelled "Priority N"."""
    chapters = priority_chapters(view, labels, section_of, page_of)
    if not chapters:
        chapters = [priority_pages(labels, section_of, page_of)]
        return {p: PRIORITY_WEIGHT * s for p, s in rrf_scores(chapters, PAGE_RRF_K).items()}
    scores: dict[int, float] = {}
    for pages in chapters:
        for rank, page in enumerate(pages):
            share = CHAPTER_WEIGHT / (PAGE_RRF_K + 1 + rank) * (1.0 if rank == 0 else LATER_SHARE)
            scores[page] = max(scores.get(page, 0.0), share)
    return scores


def case_pages(labels: list[str], section_of: dict[str, int], page_of: dict[str, int]) -> list[int]:
    """Pages of the sections that tell one child's or family's story ("Case study: Kyle",
    "Meet Jamie, aged 14", "Practice example 2"), in reading order."""
    cases = {n for n, label in enumerate(labels) if _CASE_LABEL.search(label.split(" / ")[-1])}
    return list(dict.fromkeys(page_of[c] for c, n in section_of.items() if n in cases))


def data_pages(view, page_of: dict[str, int], skip: Collection[int] = ()) -> list[int]:
    """Pages by how many figures over time they carry (year labels, percentages, "from 14 to
    8"), densest first, pages with fewer than six left out; then a few pages of tables of
    figures at one point in time (lines that are a figure alone: table cells, three or more:
    "key figures at the year end" is often a short table), which answer a data question too
    ("data at one point in time" is the audit tool's "partly"). Pages in `skip` (the contents
    pages, whose page numbers look like figures) are left out before the cut."""
    over_time: dict[int, int] = {}
    cells: dict[int, int] = {}
    for chunk_id, page in page_of.items():
        if page in skip:  # a contents page's page numbers are not figures
            continue
        text = view.text_of(chunk_id)
        over_time[page] = over_time.get(page, 0) + len(_FIGURE_OVER_TIME.findall(text))
        cells[page] = cells.get(page, 0) + len(_FIGURE_CELL.findall(text))
    ranked = sorted((p for p, n in over_time.items() if n >= 6), key=lambda p: (-over_time[p], p))
    ranked = ranked[:DATA_PAGES]
    tables = sorted(
        (p for p, n in cells.items() if n >= TABLE_CELLS and p not in ranked),
        key=lambda p: (-cells[p], p),
    )
    return ranked + tables[:TABLE_PAGES]


def agency_kinds(text: str) -> int:
    """How many kinds of relevant agency a text names (probation, housing, the fire service)."""
    return len({m.lastgroup for m in RELEVANT_AGENCY.finditer(text)})


def agency_pages(view, page_of: dict[str, int], skip: Collection[int] = ()) -> list[int]:
    """Pages naming `AGENCY_KINDS` kinds of relevant agency or more, most kinds first: the
    partner agencies' own pages ("Partner voices", "What our agencies did"), which are rarely
    headed "relevant agencies". Pages in `skip` (the contents) are left out."""
    texts: dict[int, list[str]] = {}
    for chunk_id, page in page_of.items():
        if page not in skip:
            texts.setdefault(page, []).append(view.text_of(chunk_id))
    kinds = {page: agency_kinds("\n".join(parts)) for page, parts in texts.items()}
    ranked = sorted((p for p, n in kinds.items() if n >= AGENCY_KINDS), key=lambda p: -kinds[p])
    return ranked[:AGENCY_PAGES]


def period_pages(view, page_of: dict[str, int]) -> list[int]:
    """Pages that state a span of dates ("1 April 2020 to 31 March 2021"), front first."""
    pages = {
        page
        for chunk_id, page in page_of.items()
        if _PERIOD_STATEMENT.search(view.text_of(chunk_id))
    }
    return sorted(pages)[:PERIOD_PAGES]


SYNTHESIS_HEAD = 1  # leading pages a synthesis question keeps from its own ranking


def synthesis_order(
    own: list[tuple[str, float]], parts: list[list[tuple[str, float]]], page_of: dict[str, int]
) -> list[tuple[str, float]]:
    """A synthesis question's blocks: its own first page(s), then the best page of each part
    (the questions on each requirement) in turn, then their second pages, and so on, then the
    rest of its own ranking. A judgement across the report is evidenced where each
    requirement is, not where the words "requirements" and "effective" meet."""
    out: list[tuple[str, float]] = []
    placed: set[int] = set()
    for chunk_id, score in own:
        if len(placed) >= SYNTHESIS_HEAD:
            break
        if page_of.get(chunk_id) not in placed:
            out.append((chunk_id, score))
            placed.add(page_of.get(chunk_id))
    firsts = [
        [
            (c, s)
            for n, (c, s) in enumerate(p)
            if page_of.get(c) not in {page_of.get(x) for x, _ in p[:n]}
        ]
        for p in parts
    ]
    for rank in range(max((len(p) for p in firsts), default=0)):
        for part in firsts:
            if rank < len(part) and page_of.get(part[rank][0]) not in placed:
                out.append(part[rank])
                placed.add(page_of.get(part[rank][0]))
    chosen = {c for c, _ in out}
    return out + [(c, s) for c, s in own if c not in chosen]


def _search(index, view, query: str, mode: str | None) -> list[str]:
    """Chunk ids for one phrasing: BM25 on its words less the generic ones, and dense on the
    whole phrasing, fused (RRF) as ChunkIndex.search does."""
    mode = mode or index.settings.retrieval.mode
    n = max(index.settings.retrieval.candidates, PER_PHRASING)
    key = (query, mode, n, index.settings.retrieval.rrf_k)
    memo = getattr(view, "search_memo", None)
    if memo is None:
        memo = view.search_memo = {}  # the view's phrasings recur (page order, parts, bench)
    if key in memo:
        return memo[key]
    rankings: dict[str, list[str]] = {}
    if mode in ("hybrid", "lexical"):
        words = " ".join(w for w in re.findall(r"[\w']+", query.lower()) if w not in _GENERIC)
        rankings["lexical"] = index.lexical(words or query, [view.report_id], n)
    if mode in ("hybrid", "dense"):
        rankings["dense"] = index.dense(query, [view.report_id], n)
    memo[key] = [c for c, _ in rrf_fuse(rankings, index.settings.retrieval.rrf_k)[:PER_PHRASING]]
    return memo[key]


def _restated(view, page_of: dict[str, int]) -> set[str]:
    """The report's passages that restate the requirements, found once per report view."""
    found = getattr(view, "restated", None)
    if found is None:
        found = {c for c in page_of if restates_requirements(view.text_of(c))}
        view.restated = found
    return found


def select_pages(
    index, view, phrasings: list[str], mode: str | None, contents: set[int]
) -> list[tuple[str, float]]:
    """(chunk id, score) in block order: the best passage of each page, pages best first,
    then the second passages of the same pages."""
    _labels, section_of, page_of = view.sections(index)
    members: dict[int, list[str]] = {}
    for chunk_id, number in section_of.items():  # reading order
        members.setdefault(number, []).append(chunk_id)
    restated = _restated(view, page_of)
    chunk_rankings: dict[str, list[str]] = {}
    page_rankings: list[list[int]] = []
    section_scores: dict[int, float] = {}
    for number, query in enumerate(phrasings):
        ids = _search(index, view, query, mode)
        ids = demote(ids, restated, RESTATED_DROP)
        chunk_rankings[f"q{number}"] = ids
        page_rankings.append(page_order(ids, page_of))
        match = section_query(query)
        if match:  # every page of a matching section scores by the section's place
            seen: set[int] = set()
            sections = view.search_sections(index, match, SECTIONS_PER_QUERY)
            for rank, section in enumerate(sections, start=1):
                for page in dict.fromkeys(page_of[c] for c in members.get(section, [])):
                    if page not in seen and len(seen) < SECTION_PAGES:
                        seen.add(page)
                        section_scores[page] = section_scores.get(page, 0.0) + 1.0 / (
                            PAGE_RRF_K + rank
                        )
    chunk_fused = rrf_fuse(chunk_rankings)
    chunk_scores = dict(chunk_fused)
    page_scores = rrf_scores(page_rankings, PAGE_RRF_K)
    if any(_EACH_PRIORITY.search(q) for q in phrasings):
        for page, score in priority_scores(view, _labels, section_of, page_of).items():
            page_scores[page] = page_scores.get(page, 0.0) + score
    if any(_DATA_QUESTION.search(q) for q in phrasings):
        for page, score in rrf_scores([data_pages(view, page_of, contents)], PAGE_RRF_K).items():
            page_scores[page] = page_scores.get(page, 0.0) + DATA_WEIGHT * score
    if CASE_WEIGHT and any(_DIFFERENCE_QUESTION.search(q) for q in phrasings):
        cases = case_pages(_labels, section_of, page_of)[:CASE_PAGES]
        for page, score in rrf_scores([cases], PAGE_RRF_K).items():
            page_scores[page] = page_scores.get(page, 0.0) + CASE_WEIGHT * score
    if AGENCY_WEIGHT and any(_AGENCY_QUESTION.search(q) for q in phrasings):
        agencies = agency_pages(view, page_of, contents)
        for page, score in rrf_scores([agencies], PAGE_RRF_K).items():
            page_scores[page] = page_scores.get(page, 0.0) + AGENCY_WEIGHT * score
    if any(_PERIOD_QUESTION.search(q) for q in phrasings):
        for page, score in rrf_scores([period_pages(view, page_of)], PAGE_RRF_K).items():
            page_scores[page] = page_scores.get(page, 0.0) + PERIOD_WEIGHT * score
    for page, score in section_scores.items():
        page_scores[page] = page_scores.get(page, 0.0) + SECTION_WEIGHT * score
    page_scores = lend_to_neighbours(page_scores, view.structure(index).section_of, NEIGHBOUR)
    if RESTATED_PAGE < 1.0 and not any(_PERIOD_QUESTION.search(q) for q in phrasings):
        for page in {page_of[c] for c in restated if c in page_of}:
            if page in page_scores:
                page_scores[page] *= RESTATED_PAGE
    # each page's passages: those the searches found, best first, then the rest in reading order
    by_page: dict[int, list[str]] = {}
    for chunk_id, _ in chunk_fused:
        if chunk_id in page_of:
            by_page.setdefault(page_of[chunk_id], []).append(chunk_id)
    for chunk_id, page in page_of.items():
        if chunk_id not in chunk_scores and page in page_scores:
            by_page.setdefault(page, []).append(chunk_id)
    ranked = sorted(
        (p for p in page_scores if p not in contents and by_page.get(p)),
        key=lambda p: (-page_scores[p], p),
    )
    head = list(
        dict.fromkeys(
            page_of[c] for c, _ in chunk_fused if c in page_of and page_of[c] not in contents
        )
    )[:HEAD]
    head = [p for p in head if p in ranked[:HEAD_WITHIN]]
    ranked = head + [p for p in ranked if p not in head]
    first = [(by_page[p][0], round(page_scores.get(p, 0.0), 6)) for p in ranked]
    seconds = [
        (by_page[p][1], round(page_scores.get(p, 0.0) / 2, 6))
        for p in ranked
        if len(by_page[p]) > 1
    ]
    return first + seconds
