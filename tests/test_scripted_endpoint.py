"""The package's deterministic scripted endpoint (assistant/providers/scripted.py), which
`bench --drafting` drafts against: real HTTP, valid drafts, concurrency counted."""

from __future__ import annotations

from assistant.providers.scripted import ScriptedEndpoint
from assistant.service import Assistant
from tests.make_pdf import text_pdf

PAGES = [
    ["Ashdown Safeguarding Children Partnership", "Annual Report 2020-21"],
    ["Priorities", "Our priorities for the year were neglect and exploitation."],
    ["Training", "The partnership ran 52 courses attended by 1,430 practitioners."],
]


def test_the_llm_engine_drafts_valid_answers_against_the_scripted_endpoint(
    monkeypatch, tmp_path, data_home
):
    with ScriptedEndpoint(latency=0.01) as endpoint:
        monkeypatch.setenv("REVIEW_ASSISTANT_LLM__BASE_URL", endpoint.url)
        monkeypatch.setenv("REVIEW_ASSISTANT_LLM__MODEL", "scripted-model")
        assistant = Assistant()
        [result] = list(assistant.ingest([text_pdf(tmp_path / "ashdown.pdf", PAGES)]))
        ids = [q.id for q in assistant.bank.questions if q.answerable_from_text][:3]
        _, outcomes = assistant.draft_report(
            result.report.report_id, question_ids=ids, engine="llm"
        )
        assert endpoint.calls == len(ids) and endpoint.max_concurrency >= 1
    drafts = [o.draft for o in outcomes]
    assert [d.status for d in drafts] == ["ok"] * len(ids), [d.error for d in drafts]
    assert all(d.citations and d.citations[0].verification != "not_found" for d in drafts)
