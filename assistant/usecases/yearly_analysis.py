"""Use cases of the yearly analysis: figures and documents, year on year, the register and
sample, examples of practice, blind second marking and agreement from the field (issue 14)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.analysis.compare import compare as compare_analyses
from assistant.analysis.figures import (
    Analysis,
    build_analysis,
    field_agreement,
    field_agreement_note,
)
from assistant.analysis.narrative import draft_narratives
from assistant.analysis.register import (
    RegisterStore,
    Sample,
    draw_sample,
    no_register,
    parse_register,
    register_warnings,
)
from assistant.analysis.second_marking import (
    BlindItem,
    BlindMark,
    BlindStore,
    Pair,
    adjudicate,
    adjudication_queue,
    blind_queue,
    describe_report,
    find_pair,
    pairs,
    second_marking_report,
    with_older_versions,
)
from assistant.analysis.write import write_analysis
from assistant.bulk.runs import RunStore
from assistant.errors import (
    ConfigError,
    NotFoundError,
    ReviewAssistantError,
)
from assistant.ingest.identity import PERIOD_FORMS, normalise_period, parse_period
from assistant.review.decisions import Event
from assistant.unicode import replace_surrogates_in

if TYPE_CHECKING:
    from assistant.library import ReportRecord


def _year_before(period: str | None) -> str | None:
    """'2020-21' → '2019-20'; None for what is not a period."""
    try:
        start, end = (period or "").split("-")
        return f"{int(start) - 1}-{int(end) - 1:02d}"
    except ValueError:
        return None


def _starts(period: str | None) -> int | None:
    """The first year of a period ('2020-21' → 2020); None for what is not a period."""
    checked = parse_period(period) if period else None
    return int(checked[:4]) if checked else None


def _run_period(run: dict, reports: list[ReportRecord]) -> str | None:
    """The period a run's reports are of: its label when that is a period (`score --period`
    labels the reports too), else the one period all its reports share, else None."""
    if run.get("label") and parse_period(run["label"]) == run["label"]:
        return run["label"]
    periods = {r.period for r in reports if r is not None}
    return periods.pop() if len(periods) == 1 and None not in periods else None


ANSWERED = ("accepted", "edited", "entered")  # decided with an answer (not rejected)


class YearlyAnalysis:
    """Part of `Assistant`: uses its stores (db, bank, reports, drafts, decisions)."""

    # --- the yearly analysis, register, sample --------------------------------------------------
    @cached_property
    def register_store(self) -> RegisterStore:
        return RegisterStore(self.db)

    def _analysis_reports(self, period: str | None, run_id: str | None):
        """(reports, engine, title, period, run id) of one period or one scoring run (`run_id`:
        an id or a unique prefix, as `cohort --run` takes). A run names its period: `period`
        may be left out, and a period the run's reports are not of is refused (the document
        would carry one year's title, register and sample over another year's reports)."""
        if period is not None:
            period = self._analysis_period(period)
        if run_id:
            run = self.resolve_run(run_id)
            reports = [self.reports.get(r) for r in RunStore(self.db).report_ids(run["run_id"])]
            of_run = _run_period(run, reports)
            others = sorted({r.period for r in reports if r.period} - {period})
            if period and (of_run not in (None, period) or (of_run is None and others)):
                raise ReviewAssistantError(
                    f"run {run['run_id']} is of {of_run or ' and '.join(others)}, not {period}",
                    f"drop --period (the run sets it), or name a run of {period} "
                    "from `review-assistant runs`",
                )
            period = period or of_run
            title = f"Yearly analysis {period or run['run_id']}"
            return reports, run["engine"], title, period, run["run_id"]
        if not period:
            raise ReviewAssistantError("no period given", "name one, e.g. --period 2020-21")
        reports = self.list_reports(period=period)
        if not reports:
            raise NotFoundError(
                f"no reports for {period}", "score that year first: review-assistant score FOLDER"
            )
        return reports, None, f"Yearly analysis {period}", period, None

    def _analysis_period(self, period: str) -> str:
        """`period` as reports are stored under it; one that is not a period is refused, as
        ingest and score refuse it, unless reports carry it (stored before periods were
        checked)."""
        checked = parse_period(period)
        if checked is None and not self.list_reports(period=period):
            raise ReviewAssistantError(
                f"period {period.strip()!r} is not a reporting period", PERIOD_FORMS
            )
        return checked or normalise_period(period)

    def analysis(
        self,
        period: str | None = None,
        *,
        run_id: str | None = None,
        compare: str | None = None,
        source: str = "decided",
        narrative: bool = False,
    ) -> Analysis:
        """The draft yearly analysis of a period (or a run): figures from reviewers' answers
        (`source="drafts"`: the machine drafts only), the register's compliance figures and the
        latest sample; with `compare` (a period or a run id) the year-on-year changes too; with
        `narrative`, a paragraph per theme drafted by the LLM from the figures, marked so."""
        reports, engine, title, period, run_id = self._analysis_reports(period, run_id)
        now = self._build_analysis(reports, engine, title, period, run_id, source)
        if compare:
            then_reports, e, t, p, then_run = self._compared_reports(compare)
            if (then_run is not None and then_run == run_id) or (p is not None and p == period):
                same_run = then_run is not None and then_run == run_id
                what = (
                    f"run {then_run}, the analysis's own"
                    if same_run
                    else f"of {p}, as the analysis is"
                )
                raise ReviewAssistantError(
                    f"--compare {compare} is {what}: year on year compares another period",
                    "name an earlier period or a run of one"
                    + (f", e.g. --compare {_year_before(p)}" if _year_before(p) else ""),
                )
            if _starts(p) and _starts(period) and _starts(p) > _starts(period):
                raise ReviewAssistantError(
                    f"--compare {compare} is of {p}, later than the analysis's {period}: year "
                    "on year reads each figure then → now, from an earlier period",
                    f"analyse {p} with --compare {period}, or name an earlier period"
                    + (f", e.g. --compare {_year_before(period)}" if _year_before(period) else ""),
                )
            then = self._build_analysis(then_reports, e, t, p, then_run, source)
            now.comparison = compare_analyses(then, now)
        if narrative:  # one paragraph per theme from the figures only (LLM engine)
            try:
                engine = self.engine("llm")
            except ConfigError as exc:
                raise ConfigError(
                    f"the narrative needs an LLM: {exc}", "or drop --narrative (figures need none)"
                ) from exc
            stories = draft_narratives(now, engine.provider, engine.model or "the model")
            now.narratives = {n.theme_id: n for n in stories}
        return now

    def _compared_reports(self, compare: str):
        """`_analysis_reports` of what `--compare` names: a period, else a run (id or prefix);
        neither is refused saying what it takes."""
        if parse_period(compare) is not None or self.list_reports(period=compare):
            return self._analysis_reports(compare, None)
        if not RunStore(self.db).find(compare):
            raise ReviewAssistantError(
                f"--compare {compare.strip()!r} is neither a reporting period nor a scoring run",
                f"{PERIOD_FORMS}; or a run id from `review-assistant runs`",
            )
        return self._analysis_reports(None, compare)

    def earlier_period(self, period: str | None) -> str | None:
        """The year before `period` ("2020-21" → "2019-20") when the library has its reports."""
        before = _year_before(period)
        return before if before and self.list_reports(period=before) else None

    def _build_analysis(self, reports, engine, title, period, run_id, source) -> Analysis:
        analysis = build_analysis(
            self.bank,
            self.drafts,
            self.decisions,
            reports,
            title=title,
            period=period,
            engine=engine,
            source=source,
            run_id=run_id,
            register=self.register_store.rows(period) if period else [],
            sample=self.register_store.latest_sample(period) if period else None,
            older_versions=self.reports.older_versions,  # as the cohort: nothing decided drops
        )
        ids = list(analysis.reports)
        # reviewers' marks, also those on the versions the reports replaced
        marked = with_older_versions(ids, self.reports.older_versions)[0]
        if source == "decided" and self.blind_store.marks(marked):
            analysis.second_marking = describe_report(self.second_marking(ids, n_boot=500))
        return analysis

    def write_analysis(self, analysis: Analysis, out_dir: Path | None = None) -> dict[str, Path]:
        """analysis.docx, analysis.html (self-contained), analysis.json and the chart PNGs."""
        name = f"analysis-{analysis.period or analysis.run_id or 'all'}"
        return write_analysis(analysis, Path(out_dir or self.settings.outputs_dir / name))

    def import_register(self, path: Path | str, period: str) -> tuple[int, list[str]]:
        """Replace the period's register with the CSV's rows; (how many, warnings naming the
        rows whose dates contradict each other, imported as written)."""
        rows = parse_register(Path(path), period)
        n = self.register_store.replace(period, rows, Path(path).name)
        return n, register_warnings(Path(path), rows)

    def register_rows(self, period: str, *, required: bool = False):
        """The period's register rows; with `required`, none is a NotFoundError saying how
        to import one."""
        rows = self.register_store.rows(period)
        if required and not rows:
            raise no_register(period)
        return rows

    def draw_sample(self, period: str, n: int, seed: int, by: str | None = None) -> Sample:
        """Draw (and record) a reproducible, optionally stratified sample from the register."""
        sample = draw_sample(self.register_store.rows(period), period, n, seed, by)
        self.register_store.save_sample(sample)
        return sample

    def mark_example(
        self,
        report_id: str,
        question_id: str,
        reviewer: str,
        *,
        on: bool = True,
        page: int | None = None,
        quote: str | None = None,
        note: str | None = None,
    ) -> Event:
        """Mark (or unmark) a decided answer "use as example" of practice: an annotation event
        in the review store; it never changes the answer. An answer no reviewer has decided
        (or a rejected draft, which has none) is refused, as the review tab refuses it: an
        example the analysis quotes as practice is a reviewer's choice of a reviewer's answer.
        Removing a mark is always allowed."""
        state = self.review_item(report_id, question_id)
        if on and state.status not in ANSWERED:
            why = (
                "its draft was rejected, so it has none"
                if state.status == "rejected"
                else "no reviewer has decided it"
            )
            name = self.reports.get(report_id).display_name
            raise ReviewAssistantError(
                f"{state.question_id} of {name} has no decided answer to use as an example ({why})",
                "decide the answer first (accept, edit or enter it in the review tab: "
                "review-assistant serve), then mark it",
            )
        payload = {"on": on, **({"page": page, "quote": quote or ""} if page else {})}
        return self.record_decision(
            report_id,
            question_id,
            reviewer,
            "example",
            note=note,
            payload=payload,
            base_event_id=state.last_event_id,
        )

    # blind second marking (a second reviewer answers without seeing draft or first answer)
    @cached_property
    def blind_store(self) -> BlindStore:
        return BlindStore(self.db, self.bank)

    def _ids(self, report_ids: list[str] | None) -> list[str]:
        return report_ids if report_ids is not None else [r.report_id for r in self.list_reports()]

    def blind_queue(self, reviewer: str, report_ids: list[str] | None = None) -> list[BlindItem]:
        """Items answered by another reviewer that `reviewer` may second-mark blind; an item
        first answered on an older version of its report is one when that version has the same
        text (see assistant.analysis.second_marking.blind_queue)."""
        reviewer = replace_surrogates_in(reviewer)  # as it is stored: see BlindStore.add
        return blind_queue(
            self.bank,
            self.decisions,
            self.blind_store,
            self._ids(report_ids),
            reviewer,
            self.reports.older_versions,  # as second_marking_pairs reads first answers
            self._same_text,
        )

    def take_blind_item(self, reviewer: str) -> tuple[BlindItem | None, int]:
        """(the next item `reviewer` may second-mark blind, how many wait). Taking it makes
        them the blind marker of its report: see `hidden_for`."""
        items = self.blind_queue(reviewer)
        if not items:
            return None, 0
        self.blind_store.claim(items[0].report_id, reviewer)
        return items[0], len(items)

    def hidden_for(self, reviewer: str | None, report_id: str) -> set[str]:
        """Question ids of this report whose draft and first answer `reviewer` must not see:
        once they took (or marked) a blind item of the report, every item of it still in their
        blind queue (answered by someone else, on this version or an older one with the same
        text, untouched by them, not yet blind-marked)."""
        if not reviewer or not self.blind_store.is_blind_marker(report_id, reviewer):
            return set()
        return {it.question.id for it in self.blind_queue(reviewer, [report_id])}

    def blind_page(self, report_id: str, page: int) -> tuple[str, int]:
        """(text of one page, number of pages) for reading a report while marking blind."""
        report = self.reports.get(report_id)
        pages = self.reports.pages(report_id)
        if page not in pages:
            raise NotFoundError(f"page {page} is not in this report", f"pages: 1-{report.n_pages}")
        return pages[page], report.n_pages

    def record_blind_mark(
        self, report_id: str, question_id: str, reviewer: str, answer, note: str | None = None
    ) -> BlindMark:
        """Save `reviewer`'s blind mark of the item; refused (nothing saved) when they have an
        event on the question on any version of the report, as blind_queue never offers it them
        (see BlindStore.add), and when a blind mark on any version already pairs with the item's
        first answer (a first answer is blind-marked once, as blind_queue offers it). An item
        first answered on an older version with other text is taken (a script may mark it): its
        pair is kept out of the agreement figures."""
        current = self.reports.current_version(report_id).report_id
        versions = [current, *self.reports.older_versions(current)]
        return self.blind_store.add(report_id, question_id, reviewer, answer, note, versions)

    def second_marking_pairs(self, report_ids: list[str] | None = None) -> list[Pair]:
        """The double-marked items of these reports (current versions when None), those marked
        or first decided on an older version too (see assistant.analysis.second_marking)."""
        ids = self._ids(report_ids)
        return pairs(
            self.bank,
            self.drafts,
            self.decisions,
            self.blind_store,
            ids,
            self.reports.older_versions,
            self._same_text,
        )

    def _same_text(self, report_id: str, other_id: str) -> bool:
        """Whether two versions of a report have the same text, page for page."""
        return self.reports.pages(report_id) == self.reports.pages(other_id)

    def second_marking(self, report_ids: list[str] | None = None, *, n_boot: int = 1000) -> dict:
        """Human–human kappa (with intervals), draft-vs-human on the same items, anchoring."""
        report = second_marking_report(self.second_marking_pairs(report_ids), n_boot=n_boot)
        report["lines"] = describe_report(report)
        return report

    def adjudication_queue(self, report_ids: list[str] | None = None) -> list[Pair]:
        return adjudication_queue(self.second_marking_pairs(report_ids))

    def adjudicate(self, report_id: str, question_id: str, reviewer: str, answer) -> Event:
        """Settle a blind-vs-first disagreement: the answer becomes the item's decision."""
        pair = find_pair(self.second_marking_pairs([report_id]), report_id, question_id)
        draft = next(
            (d for d in self.drafts.for_report(report_id) if d.question_id == pair.question.id),
            None,
        )
        return adjudicate(
            self.decisions,
            self.blind_store,
            pair,
            reviewer,
            answer,
            draft_id=draft.draft_id if draft else None,
        )

    def field_agreement(self, report_ids: list[str] | None = None) -> list[dict]:
        """Per question: drafts accepted unchanged / edited / rejected by reviewers (counts and
        rates), over decided items that had a draft; a question the current version has no
        decision on counts its older versions' (`from_older_versions`), as the cohort does."""
        ids = report_ids if report_ids is not None else [r.report_id for r in self.list_reports()]
        return field_agreement(
            self.bank, self.drafts, self.decisions, ids, self.reports.older_versions
        )

    @staticmethod
    def field_agreement_note(rows: list[dict]) -> str | None:
        """What the views of `field_agreement` say of its decisions made on an older version."""
        return field_agreement_note(rows)
