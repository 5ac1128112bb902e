"""Eval charts: matplotlib PNGs (Agg backend) for the HTML report.

Per-question kappa with bootstrap CI bars, small confusion matrices, and recall@k curves per
retrieval mode. Each function returns PNG bytes (None when there is nothing to draw).
"""

from __future__ import annotations

import io

from assistant.evaluation.metrics import pct

THEME_COLOURS = {"A": "#1f77b4", "B": "#ff7f0e", "C": "#2ca02c"}
MODE_STYLES = {
    "hybrid": ("#d62728", "o-"),
    "dense": ("#9467bd", "s--"),
    "lexical": ("#8c564b", "^:"),
}
MAX_CONFUSIONS = 30


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def kappa_chart(mx: dict) -> bytes:
    """Per-question kappa with 95% CI bars, the majority baseline as an open marker."""
    import matplotlib.pyplot as plt

    qs = [
        q
        for q in mx["questions"].values()
        if q.get("primary_kappa") is not None
        or q.get("baseline", {}).get("primary_kappa") is not None
    ]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(qs) + 1.5))
    for y, q in enumerate(reversed(qs)):
        colour = THEME_COLOURS.get(q["theme"], "#444")
        k, ci = q.get("primary_kappa"), q.get("primary_kappa_ci")
        if k is not None:
            # A percentile interval from few resamples need not contain the estimate, so the
            # bar is drawn from its ends, not as errors around the point.
            if ci:
                ax.hlines(y, ci[0], ci[1], color=colour, lw=1.2)
                ax.plot(ci, [y, y], "|", color=colour, ms=7)
            ax.plot(k, y, "o", color=colour)
        b = q.get("baseline", {}).get("primary_kappa")
        if b is not None:
            ax.plot(b, y, marker="o", mfc="none", color="#999")
    ax.set_yticks(
        range(len(qs)), [f"{q['id']} ({q.get('primary', '')})" for q in reversed(qs)], fontsize=8
    )
    ax.axvline(0, color="#bbb", lw=1)
    ax.set_xlim(-1, 1.05)
    ax.set_xlabel("kappa (filled: drafts vs humans, 95% bootstrap CI; open: majority baseline)")
    ax.set_title(f"Agreement per question — {mx['engine']}")
    return _png(fig)


def confusion_grid(mx: dict) -> bytes | None:
    """Small confusion matrices (human rows, draft columns) for single-choice questions."""
    fig = confusion_figure(mx)
    return _png(fig) if fig is not None else None


def tick_label(label: str, width: int = 10) -> str:
    """A whole tick label, wrapped on words (and hyphens) to lines of about `width` characters:
    never cut ("evidenced", not "evidenc")."""
    import textwrap

    text = label.replace("_", " ")
    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


def confusion_figure(mx: dict):
    """The confusion grid as a matplotlib figure (None when there is nothing to draw); labels
    wrapped whole, x labels rotated, cell counts as integers."""
    import matplotlib.pyplot as plt
    import numpy as np

    qs = [q for q in mx["questions"].values() if "confusion" in q][:MAX_CONFUSIONS]
    if not qs:
        return None
    cols = 4
    rows = (len(qs) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 3.3 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, q in zip(axes.ravel(), qs, strict=False):
        matrix = np.array(q["confusion"]["matrix"])
        labels = [tick_label(lab) for lab in q["confusion"]["labels"]]
        ax.axis("on")
        ax.imshow(matrix, cmap="Blues", vmin=0)
        for (i, j), v in np.ndenumerate(matrix):
            if v:
                ax.text(
                    j,
                    i,
                    str(int(v)),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if v > matrix.max() / 2 else "black",
                )
        ax.set_xticks(range(len(labels)), labels, fontsize=6, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels, fontsize=6)
        ax.set_title(f"{q['id']}  acc {pct(q.get('accuracy'))}", fontsize=8)
    fig.supxlabel("draft", fontsize=9)
    fig.supylabel("human", fontsize=9)
    fig.tight_layout()
    return fig


def recall_chart(mx: dict) -> bytes | None:
    """Recall@k curves per retrieval mode, overall and per theme."""
    import matplotlib.pyplot as plt

    r = mx.get("retrieval")
    if not r:
        return None
    ks = r["ks"]
    themes = list(mx["themes"])
    fig, axes = plt.subplots(1, 1 + len(themes), figsize=(4 * (1 + len(themes)), 3.4), sharey=True)
    panels = [("all questions", r["overall"])]
    for t in themes:
        ids = [qid for qid, q in mx["questions"].items() if q["theme"] == t]
        panels.append((f"theme {t}", _theme_recall(r, ids)))
    for ax, (title, by_mode) in zip(axes, panels, strict=True):
        for mode, stats in by_mode.items():
            colour, style = MODE_STYLES.get(mode, ("#333", "o-"))
            values = [stats.get(f"recall@{k}") for k in ks]
            ax.plot(
                ks,
                [v if v is not None else float("nan") for v in values],
                style,
                color=colour,
                label=mode,
            )
        ax.set_title(title, fontsize=10)
        ax.set_xticks(ks)
        ax.set_xlabel("k (evidence blocks)")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("recall of gold pages")
    axes[0].legend(fontsize=8)
    return _png(fig)


def _theme_recall(r: dict, ids: list[str]) -> dict:
    out = {}
    for mode in r["modes"]:
        rows = [r["per_question"][q][mode] for q in ids if q in r["per_question"]]
        n = sum(x["n"] for x in rows)
        out[mode] = {
            f"recall@{k}": (
                sum(x[f"recall@{k}"] * x["n"] for x in rows if x["n"]) / n if n else None
            )
            for k in r["ks"]
        }
    return out
