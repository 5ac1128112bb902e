"""The synthetic report generator: determinism, layout, gold answers and gold pages at both
lengths (long: 40-100 pages of realistic bulk around the evidence; short: 12-30); and the
bad-input writers in tests/bad_pdfs.py."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.errors import EmptyFileError, PdfReadError

from evals.synthetic.bulk import BULK, guard_problems
from evals.synthetic.layout import estimate_pages, render_pdf
from evals.synthetic.sample_reports import (
    GOLD_IDS,
    LONG_PAGE_RANGE,
    build_report,
    build_sections,
    generate_sample_set,
    gold_answers,
    gold_page_problems,
    load_picklists,
    main,
    random_spec,
)
from evals.synthetic.sections import Para, Section
from evals.synthetic.text import BANKS, SAFEGUARDING, theme_of
from tests.bad_pdfs import (
    MIXED_PAGES,
    write_corrupt_pdf,
    write_empty_file,
    write_encrypted_pdf,
    write_image_only_pdf,
    write_mixed_pdf,
    write_not_a_pdf,
)

KINDS = {  # answer type of each gold question
    "yes_no": {"A1", "B7", "C1", "C7"},
    "yes_partly_no": {"A4", "A5", "A10", "B6", "C3", "C5"},
    "rating": {"A6", "A8", "A9", "B2", "B3", "B4", "C2", "C4", "C6", "C8"},
    "count": {"A1n", "B1a", "B1b", "B7n"},
    "ladder": {"B8"},
    "multi_select": {"A2", "A3", "A7", "B3n", "B5", "C2m"},
    "free_text": {"C10"},
}
PICKLIST_OF = {
    "A2": "safeguarding_themes",
    "A3": "practice_themes",
    "A7": "impact_evidence",
    "B3n": "national_reviews",
    "B5": "dissemination",
    "C2m": "scrutiny_model",
}
ABSENT = ("no", "not", [], ["not_described"], 0)


def _texts(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def _seed_where(pred, start: int = 0) -> int:
    return next(s for s in range(start, start + 2000) if pred(random_spec(s)))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A few long reports (the default) covering the tiers and traps, with per-page text."""
    out = tmp_path_factory.mktemp("reports")
    seeds = {
        "high": _seed_where(lambda s: s.tier == "high"),
        "low": _seed_where(lambda s: s.tier == "low" and s.priorities_stated),
        "neglect": _seed_where(lambda s: "neglect" in s.safeguarding_priorities),
        "neglect_context": _seed_where(lambda s: "neglect" in s.context_only_themes),
        "budget": _seed_where(lambda s: s.budget == "yes" and s.data_trend == "yes"),
    }
    reports = {}
    for name, seed in seeds.items():
        result = build_report(random_spec(seed), out / f"{name}.pdf")
        reports[name] = (result, _texts(result.path))
    return reports


def test_same_seed_gives_identical_bytes_and_text(tmp_path):
    spec = random_spec(11)
    a, b = build_report(spec, tmp_path / "a.pdf"), build_report(spec, tmp_path / "b.pdf")
    assert a.path.read_bytes() == b.path.read_bytes()
    assert _texts(a.path) == _texts(b.path)
    assert a.gold_pages == b.gold_pages and a.n_pages == b.n_pages


def test_another_seed_rewords_the_same_attributes(tmp_path):
    spec = random_spec(12)
    other = replace(spec, seed=spec.seed + 5000)  # same attributes, new wording seed
    assert gold_answers(other) == gold_answers(spec)
    a = build_report(spec, tmp_path / "a.pdf", "short")
    b = build_report(other, tmp_path / "b.pdf", "short")
    lines = [{ln for t in _texts(r.path) for ln in t.splitlines() if len(ln) > 40} for r in (a, b)]
    shared = len(lines[0] & lines[1]) / max(len(lines[0]), 1)
    assert shared < 0.5, f"{shared:.0%} of long lines identical"


def test_header_and_footer_on_every_page(built):
    for result, texts in built.values():
        assert 40 <= result.n_pages <= 100 and len(texts) == result.n_pages
        for number, text in enumerate(texts, 1):
            assert result.spec.partnership_name in text, (result.path.name, number)
            assert "Annual Report" in text and f"Page {number}" in text, (result.path, number)


def test_two_column_pages_have_short_lines(built):
    for result, texts in built.values():
        assert result.two_column_pages, result.path.name
        for page in result.two_column_pages:
            body = texts[page - 1].splitlines()[3:]  # header, period, page number come first
            assert max(len(line) for line in body) < 62, (result.path.name, page)
        singles = [t for i, t in enumerate(texts, 1) if i not in result.two_column_pages]
        assert max(len(line) for t in singles for line in t.splitlines()) > 80


def test_gold_answers_use_the_audit_tool_values():
    picklists = load_picklists()
    for seed in range(150):
        spec = random_spec(seed)
        gold = gold_answers(spec)
        assert set(gold) == set(GOLD_IDS) and "C9" not in gold
        for q, value in gold.items():
            if q in KINDS["yes_no"]:
                assert value in ("yes", "no"), q
            elif q in KINDS["yes_partly_no"]:
                assert value in ("yes", "partly", "no"), q
            elif q in KINDS["rating"]:
                assert value in ("not", "partly", "evidenced"), q
            elif q in KINDS["ladder"]:
                assert value in range(6)
            elif q in KINDS["count"]:
                assert isinstance(value, int) and value >= 0, q
            elif q in KINDS["multi_select"]:
                assert value == sorted(value) and set(value) <= set(picklists[PICKLIST_OF[q]]), q
            else:
                assert isinstance(value, list), q
        assert gold["A1n"] == len(gold["A2"]) + len(gold["A3"])
        assert gold["A6"] != "not" or gold["A7"] == []  # no impact, no impact evidence
        assert gold["A6"] != "evidenced" or "outcome_data_trend" in gold["A7"]
        assert not set(spec.context_only_themes) & set(gold["A2"])


def test_attribute_spread_resembles_the_reference_year():
    specs = [random_spec(seed) for seed in range(540)]  # 30 "years" of 18
    golds = [gold_answers(s) for s in specs]

    def per_18(q, value):
        return 18 * sum(g[q] == value for g in golds) / len(golds)

    assert 9 <= per_18("A6", "not") <= 13 and 1 <= per_18("A6", "evidenced") <= 3.5
    assert 3.5 <= per_18("C8", "not") <= 6.5 and 9 <= per_18("C8", "partly") <= 13
    assert 15.5 <= 18 - per_18("B2", "not") <= 18
    assert 9 <= 18 * sum("neglect" in g["A2"] for g in golds) / len(golds) <= 13


def test_neglect_priority_is_gold_and_on_its_gold_pages(built):
    result, texts = built["neglect"]
    assert "neglect" in gold_answers(result.spec)["A2"]
    names = [n.lower() for n in SAFEGUARDING["neglect"].names]
    assert any(n in texts[p - 1].lower() for p in result.gold_pages["A2"] for n in names)


def test_theme_named_only_as_context_is_not_a_priority(built):
    result, texts = built["neglect_context"]
    assert "neglect" not in gold_answers(result.spec)["A2"]
    context = SAFEGUARDING["neglect"].context.split("(")[0].lower()  # "Neglect remains ..."
    pages = [i for i, t in enumerate(texts, 1) if context in re.sub(r"\s+", " ", t.lower())]
    assert pages and not set(pages) & set(result.gold_pages["A2"])


def test_gold_pages_are_in_range_and_empty_only_for_absent_answers(built):
    for result, _ in built.values():
        gold = gold_answers(result.spec)
        assert set(result.gold_pages) == set(GOLD_IDS)
        for q, pages in result.gold_pages.items():
            assert all(1 <= p <= result.n_pages for p in pages), (q, pages)
            absent = gold[q] in ABSENT and q not in ("B1a", "B1b") or q == "C10"
            assert (pages == []) == absent, (result.path.name, q, gold[q], pages)


def test_gold_pages_hold_the_evidence(built):
    for result, texts in built.values():
        gold, pages = gold_answers(result.spec), result.gold_pages

        def on_gold_pages(q: str, texts=texts, pages=pages) -> str:
            return "\n".join(texts[p - 1] for p in pages[q]).lower()

        for q in ("A2", "A3"):
            for slug in gold[q]:
                assert any(n.lower() in on_gold_pages(q) for n in theme_of(slug).names), slug
        if gold["B7"] == "yes":
            assert f"{gold['B7n']:,}" in on_gold_pages("B7n")
        assert "rapid review" in on_gold_pages("B1b")
        if gold["C1"] == "yes":
            assert "march" in on_gold_pages("C1")
        for slug in gold["B3n"]:
            title = BANKS["national_reviews"][slug].lower()
            assert title[:30] in re.sub(r"\s+", " ", on_gold_pages("B3n")), slug
        if gold["A10"] == "yes":
            assert "trend" in on_gold_pages("A10")
        if gold["C5"] == "yes":
            assert "£" in on_gold_pages("C5") and "total" in on_gold_pages("C5")


def test_evidence_split_over_pages_is_recorded_on_each(tmp_path):
    long_text = " ".join(["The partners agreed a plan and reviewed it every month."] * 130)
    sections = [Section("body", "Progress", [Para("Intro."), Para(long_text, ("A5",))])]
    layout = render_pdf(sections, tmp_path / "split.pdf", "Test Partnership", "Annual Report")
    assert layout.n_pages >= 2 and layout.evidence["A5"] == set(range(1, layout.n_pages + 1))
    spec = random_spec(_seed_where(lambda s: s.priority_per_page and s.partner_actions == "yes"))
    result = build_report(spec, tmp_path / "per-page.pdf", "short")
    assert len(result.gold_pages["A5"]) == len(spec.safeguarding_priorities) + len(
        spec.practice_priorities
    )


def test_scanned_page_has_no_text_layer_but_holds_gold_evidence(tmp_path):
    spec = replace(random_spec(_seed_where(lambda s: s.budget == "yes")), scanned_page=True)
    result = build_report(spec, tmp_path / "scan.pdf")
    [page] = result.scanned_pages
    texts = _texts(result.path)
    assert texts[page - 1].strip() == ""
    assert result.gold_pages["C5"] == [page]  # the budget was scanned
    assert all(t.strip() for i, t in enumerate(texts, 1) if i != page)


def test_sample_set_writes_pdfs_and_manifest(tmp_path):
    results = generate_sample_set(tmp_path, n=3, seed=5, length="short")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["length"] == "short" and all(12 <= r.n_pages <= 30 for r in results)
    assert [r["file"] for r in manifest["reports"]] == [r.path.name for r in results]
    assert [r.spec.tier for r in results] == ["mid", "low", "high"]
    for entry, result in zip(manifest["reports"], results, strict=True):
        assert re.fullmatch(r"[a-z-]+-annual-report-2020-21\.pdf", entry["file"])
        assert (tmp_path / entry["file"]).exists() and entry["n_pages"] == result.n_pages
        assert set(entry["gold_answers"]) == set(GOLD_IDS) == set(entry["gold_pages"])
    assert len({r.spec.place for r in results}) == 3


def test_cli_writes_a_set(tmp_path, capsys):
    assert main([str(tmp_path), "--n", "1", "--seed", "3", "--length", "short"]) == 0
    assert "manifest" in capsys.readouterr().out
    assert len(list(tmp_path.glob("*.pdf"))) == 1


# ------------------------------------------------------------------ long reports: bulk and gold


def test_long_year_spreads_over_40_to_100_pages():
    """Page counts of a long year, estimated from the layout (no rendering), look like a real
    year: all within 40-100, most around 50-70, some past 80."""
    counts = [estimate_pages(build_sections(random_spec(seed))) for seed in range(2021, 2045)]
    assert all(42 <= c <= 98 for c in counts), counts  # the estimate is within a page or two
    assert min(counts) < 52 and max(counts) > 78 and 52 <= sorted(counts)[12] <= 72, counts


def test_long_reports_render_in_range_with_exact_gold_pages(built):
    for result, _texts in built.values():
        assert LONG_PAGE_RANGE[0] <= result.n_pages <= LONG_PAGE_RANGE[1]
        sections = build_sections(result.spec)
        assert abs(estimate_pages(sections) - result.n_pages) <= 3, result.path.name
        evidence = {q: set(p) for q, p in result.gold_pages.items() if q != "C8"}
        assert gold_page_problems(sections, evidence, result.path, set()) == []
        # the check notices evidence recorded one page off
        shifted = {q: {p + 1 for p in ps} for q, ps in evidence.items() if ps}
        assert gold_page_problems(sections, shifted, result.path, set())
        # the bulk is most of the report: gold pages are a small share
        gold = {p for q, ps in result.gold_pages.items() for p in ps}
        assert len(gold) <= result.n_pages / 2, (len(gold), result.n_pages)


def test_long_and_short_share_gold_answers_and_every_evidence_block():
    for seed in (3, 17, 2024):
        spec = random_spec(seed)
        tagged = [
            [(b.qids, getattr(b, "text", None) or getattr(b, "rows", None)) for s in
             build_sections(spec, length) for b in s.blocks if getattr(b, "qids", ())]
            for length in ("short", "long")
        ]  # fmt: skip
        rest = iter(tagged[1])  # the short report's evidence, in order, within the long one
        assert all(any(t == u for u in rest) for t in tagged[0])
        long_only = [t for t in tagged[1] if t not in tagged[0]]
        assert long_only == []  # the bulk adds no evidence: gold pages hold the same blocks
    with pytest.raises(ValueError, match="length"):
        build_sections(random_spec(1), "medium")


def test_bulk_guard_passes_every_generated_year_and_catches_planted_evidence():
    specs = [random_spec(seed) for seed in range(12)]  # build_report checks every report too
    for spec in specs:
        assert guard_problems(spec, build_sections(spec)) == [], spec.seed
    spec = next(s for s in specs if "neglect" in s.safeguarding_priorities)
    sections = build_sections(spec)
    bulk = next(s for s in sections if getattr(s, "bulk", False) and s.key == "agency")
    for planted in ("The partnership budget was £300,000.", "We tackled neglect together.",
                    "Staff took part in multi-agency training.",
                    "Children told us the plans were hard to read."):  # fmt: skip
        bulk.blocks.append(Para(planted))
        assert guard_problems(spec, sections), planted
        bulk.blocks.pop()


def test_bulk_holds_near_misses_but_no_evidence_of_absent_answers(built):
    agencies = [a.lower() for a, _ in BANKS["relevant_agencies"]]
    for result, texts in built.values():
        gold = gold_answers(result.spec)
        flat = re.sub(r"\s+", " ", "\n".join(texts).lower())
        # near misses real reports carry: other boards' priorities and reviews, requirements
        assert "safeguarding adults board" in flat or "community safety partnership" in flat
        assert "statutory guidance" in flat or "guidance expects" in flat or "the report" in flat
        if gold["C5"] == "no":
            assert "£" not in flat
        if gold["C7"] == "no":
            assert "custody" not in flat and "children's home" not in flat
        if gold["C3"] == "no":
            assert not [a for a in agencies if a in flat]
        if gold["B3"] == "not":
            assert not [t for t in BANKS["national_reviews"].values() if t.lower()[:25] in flat]
        if gold["C2"] == "not":
            assert "independent chair" not in flat and "independent scrutineer" not in flat
        bulk_pages = set(range(1, result.n_pages + 1)) - {
            p for ps in result.gold_pages.values() for p in ps
        }
        assert len(bulk_pages) >= 20
    assert len(BULK["agencies"]) >= 6 and len(BULK["voices"]) >= 4


# ----------------------------------------------------------------- bad inputs (tests/bad_pdfs.py)


def test_corrupt_pdf_has_header_but_pypdf_fails(tmp_path):
    path = write_corrupt_pdf(tmp_path / "corrupt.pdf")
    assert path.read_bytes().startswith(b"%PDF")
    with pytest.raises(PdfReadError):  # PdfStreamError is a PdfReadError
        [p.extract_text() for p in PdfReader(path).pages]


def test_encrypted_pdf_needs_its_password(tmp_path):
    path = write_encrypted_pdf(tmp_path / "locked.pdf", password="pw")
    reader = PdfReader(path)
    assert reader.is_encrypted
    assert reader.decrypt("pw") and "Annual Report" in reader.pages[0].extract_text()


def test_image_only_pdf_has_no_text_layer(tmp_path):
    path = write_image_only_pdf(tmp_path / "scan.pdf", "Scanned page\nsecond line")
    [page] = PdfReader(path).pages
    assert page.extract_text().strip() == "" and len(page.images) == 1


def test_not_a_pdf_and_empty_file_are_rejected(tmp_path):
    for kind in ("html", "png"):
        path = write_not_a_pdf(tmp_path / f"{kind}.pdf", kind=kind)
        assert not path.read_bytes().startswith(b"%PDF")
        with pytest.raises(PdfReadError):
            PdfReader(path)
    empty = write_empty_file(tmp_path / "empty.pdf")
    assert empty.stat().st_size == 0
    with pytest.raises(EmptyFileError):
        PdfReader(empty)


def test_mixed_pdf_has_one_image_only_page(tmp_path):
    texts = _texts(write_mixed_pdf(tmp_path / "mixed.pdf"))
    assert len(texts) == 3 and texts[1].strip() == ""
    assert MIXED_PAGES[0][1] in texts[0] and MIXED_PAGES[2][1] in texts[2]
