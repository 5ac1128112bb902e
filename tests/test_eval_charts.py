"""Eval chart labels are whole: confusion-matrix tick labels are wrapped, never cut, and sit
inside the figure (issue 13: "evidenc" in the eval PNGs)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from assistant.evaluation import charts  # noqa: E402

LABELS = ["not_evidenced", "partly_evidenced", "evidenced", "no_information_given"]


def _mx(n_questions: int = 5) -> dict:
    matrix = [[3, 1, 0, 0], [0, 2, 1, 0], [0, 0, 4, 1], [1, 0, 0, 2]]
    return {
        "engine": "offline",
        "questions": {
            f"B{i}": {
                "id": f"B{i}",
                "theme": "B",
                "accuracy": 0.6,
                "confusion": {"labels": LABELS, "matrix": matrix},
            }
            for i in range(1, n_questions + 1)
        },
    }


def test_confusion_tick_labels_are_complete_and_inside_the_figure():
    fig = charts.confusion_figure(_mx())
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    figure_box = fig.bbox
    seen = 0
    for ax in fig.axes:
        if not ax.axison:
            continue
        for label in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
            text = label.get_text()
            # the whole label, only wrapped: joining the lines gives it back
            assert text.replace("\n", " ") in {lab.replace("_", " ") for lab in LABELS}, text
            box = label.get_window_extent(renderer)
            assert box.x0 >= figure_box.x0 - 0.5 and box.x1 <= figure_box.x1 + 0.5, text
            assert box.y0 >= figure_box.y0 - 0.5 and box.y1 <= figure_box.y1 + 0.5, text
            seen += 1
    assert seen == 5 * 2 * len(LABELS)
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_tick_label_wraps_on_words_and_never_cuts():
    assert charts.tick_label("evidenced") == "evidenced"
    assert charts.tick_label("partly_evidenced") == "partly\nevidenced"
    assert charts.tick_label("extraordinarilylongword") == "extraordinarilylongword"


def test_confusion_grid_png_renders_integer_counts():
    fig = charts.confusion_figure(_mx(1))
    counts = [t.get_text() for t in fig.axes[0].texts]
    assert counts and all(c.isdigit() for c in counts)
    import matplotlib.pyplot as plt

    plt.close(fig)
    png = charts.confusion_grid(_mx(1))
    assert png.startswith(b"\x89PNG")


def test_kappa_chart_draws_an_interval_that_does_not_contain_its_estimate():
    # A percentile bootstrap from few resamples can put the estimate outside its interval
    # (seen with `eval run --bootstrap 10`); the chart must still be drawn.
    mx = _mx(2)
    mx["questions"]["B1"].update(primary_kappa=0.40, primary_kappa_ci=[0.45, 0.80])
    mx["questions"]["B2"].update(primary_kappa=0.90, primary_kappa_ci=[0.20, 0.85])
    png = charts.kappa_chart(mx)
    assert png.startswith(b"\x89PNG")
