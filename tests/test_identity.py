"""Identity detection (partnership name and reporting period) on covers written in other
styles: lists of places, multi-year and academic-year reports, unclear periods."""

from __future__ import annotations

from assistant.ingest.identity import detect_identity, detect_period
from tests.make_pdf import text_pdf

BODY = "The partners met every month and reviewed their plans for children and families."


def test_a_partnership_of_several_places_keeps_every_name():
    cover = (
        "Ormsgate, Brindlecross and Wetherfold\nSafeguarding Children Partnership\nAnnual Report"
    )
    partnership, _, _ = detect_identity(
        [
            cover,
            "Brindlecross and Wetherfold Safeguarding Children "
            "Partnership works across the boroughs.",
            BODY,
        ]
    )
    assert partnership == "Ormsgate, Brindlecross and Wetherfold Safeguarding Children Partnership"


def test_a_signature_before_the_name_is_not_part_of_it():
    foreword = (
        "Welcome to our report.\nJo Marsh-Lane, Independent Chair and Scrutineer, Ravensholt and "
        "Pellow Safeguarding Children Partnership"
    )
    partnership, _, _ = detect_identity(["Our Year: Annual Report 2020-21", foreword, BODY])
    assert partnership == "Ravensholt and Pellow Safeguarding Children Partnership"


def test_a_two_year_report_is_filed_under_its_whole_span():
    cover = (
        "Fenbury Safeguarding Children\nPartnership\nAnnual Report 2019-2021\n"
        "Covering the period 1 April 2019 to 31 March 2021"
    )
    contents = (
        "Contents\nYear one: April 2019 to March 2020\n3\nYear two: April 2020 to March 2021\n5"
    )
    later = "In 2020-21 the partners changed two priorities. Our 2020-21 plan was shorter."
    assert detect_identity([cover, contents, later])[1] == "2019-21"


def test_an_academic_year_report_gets_its_academic_year():
    cover = (
        "Hollin Safeguarding Children Partnership\nEducation safeguarding report\n"
        "September 2020 to August 2021"
    )
    assert detect_identity([cover, BODY])[1] == "2020-21"
    assert detect_period(["Report for the academic year 2020/21", BODY])[0] == "2020-21"


def test_an_unclear_period_is_left_unset_with_a_reason_not_guessed():
    pages = [
        "Annual Report",
        "Last year (2019-20) we set three priorities.",
        "This report looks at 2020-21 and the plans that carry on.",
    ]
    period, why = detect_period(pages)
    assert period is None
    assert "2019-20" in why and "2020-21" in why
    assert detect_identity(pages)[1] is None


def test_ingest_of_a_two_year_report_records_the_span(assistant, tmp_path):
    pages = [
        [
            "Fenbury Safeguarding Children Partnership",
            "Annual Report 2019-2021",
            "Covering the period 1 April 2019 to 31 March 2021",
        ],
        ["Year two", "From April 2020 to March 2021 the partners focused on neglect."],
        ["Budget", BODY],
    ]
    [result] = list(assistant.ingest([text_pdf(tmp_path / "fenbury.pdf", pages)]))
    assert result.report.period == "2019-21"
    assert result.report.partnership == "Fenbury Safeguarding Children Partnership"


def test_a_document_title_before_the_name_is_not_part_of_it():
    cover = (
        "Keeping Tarnbury Safe\n Joint Annual Report of the Tarnbury Safeguarding Children "
        "Partnership\n and the Tarnbury Safeguarding Adults Board\n"
        "Reporting year 1 April 2022 to 31 March 2023"
    )
    partnership, period, _ = detect_identity([cover, BODY, BODY])
    assert partnership == "Tarnbury Safeguarding Children Partnership"
    assert period == "2022-23"


def test_a_plans_years_on_the_cover_are_not_the_reporting_period():
    # a three-year plan's years beside the report's own year label: the plan's span
    # "contains" the year, and used to win as if it were a multi-year report
    cover = (
        "Tarnbury Safeguarding Children Partnership\nAnnual Report 2023-24\n"
        "Year two of our Strategic Plan 2022-25"
    )
    contents = "Contents\nOur priorities 2022-25  5\nThe year in numbers 2023-24  8"
    assert detect_period([cover, contents, BODY]) == ("2023-24", None)
    # a two-year report still gets its whole span
    two_years = "Tarnbury Safeguarding Children Partnership\nAnnual Report 2022-24"
    assert detect_period([two_years, "Our work in 2022-23 and 2023-24", BODY])[0] == "2022-24"
