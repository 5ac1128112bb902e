"""Issue 15 item 4: an offline year drafted in parallel report processes gives the same drafts
as one process, each stored once, and the run summary counts them all."""

from __future__ import annotations

from assistant.config import load_settings
from assistant.service import Assistant


def _drafts(assistant: Assistant) -> dict:
    return {
        (report.file_name, d.question_id): (str(d.answer), tuple(d.pages), d.status)
        for report in assistant.list_reports()
        for d in assistant.drafts.for_report(report.report_id)
    }


def test_report_workers_draft_the_same_as_one_process(tmp_path, data_home):
    from evals.synthetic.sample_reports import generate_sample_set

    folder = tmp_path / "year"
    generate_sample_set(folder, n=3, seed=11, length="short")
    questions = ["A1", "A2", "A6", "B7", "C5", "C10"]
    results = {}
    for workers in (1, 2):
        assistant = Assistant(load_settings(home=tmp_path / f"home-{workers}"))
        summary = assistant.score(
            folder, period="2020-21", engine="offline", question_ids=questions, workers=workers
        )
        assert summary.drafted == 3 * len(questions) and summary.failed == 0
        again = assistant.score(
            folder, period="2020-21", engine="offline", question_ids=questions, workers=workers
        )
        assert again.drafted == 0 and again.reused == 3 * len(questions)
        results[workers] = _drafts(assistant)
        assert len(results[workers]) == 3 * len(questions)  # one stored draft a pair
    assert results[1] == results[2]
