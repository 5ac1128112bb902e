"""Wording banks for the synthetic sample reports, and the seeded template filler.

The banks live in `wording.yaml` next to this file (all text invented for this
project). Every statement has several paraphrases and draws synonyms and numbers from one
seeded RNG, so two reports with the same attributes still read differently and keyword tricks
do not work.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

WORDING_PATH = Path(__file__).with_name("wording.yaml")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
SMALL_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class Theme:
    """One priority theme: display names, a reason, past-tense actions and an outcome metric."""

    names: tuple[str, ...]
    why: str
    acts: tuple[str, ...]
    metric: str
    up: bool  # whether a rise in the metric is good
    context: str = ""


def _load() -> dict:
    data = yaml.safe_load(WORDING_PATH.read_text(encoding="utf-8"))
    for key in ("safeguarding_themes", "practice_themes"):
        data[key] = {
            slug: Theme(
                tuple(t["names"]), t["why"], tuple(t["acts"]), t["metric"], t["up"],
                t.get("context", ""),
            )
            for slug, t in data[key].items()
        }  # fmt: skip
    return data


BANKS = _load()
PLACES: tuple[str, ...] = tuple(BANKS["places"])
SAFEGUARDING: dict[str, Theme] = BANKS["safeguarding_themes"]
PRACTICE: dict[str, Theme] = BANKS["practice_themes"]
TEMPLATES: dict[str, list[str]] = BANKS["templates"]
FILLER: dict[str, list[str]] = BANKS["filler"]


def num_words(n: int, rng: random.Random) -> str:
    """Spell small numbers as words about half the time, as real reports mix both."""
    if n == 0 or 0 < n < len(SMALL_NUMBERS) and rng.random() < 0.6:
        return SMALL_NUMBERS[n]
    return f"{n:,}"


def cap(text: str) -> str:
    """Upper-case the first character only."""
    return text[:1].upper() + text[1:]


def low(text: str) -> str:
    """Lower-case the first character, for a name used mid-sentence (not for acronyms)."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def theme_of(slug: str) -> Theme:
    """The bank entry for a safeguarding or practice theme slug."""
    return SAFEGUARDING.get(slug) or PRACTICE[slug]


class Wording:
    """Fills templates: picks paraphrases, synonyms and numbers from one seeded RNG."""

    def __init__(self, rng: random.Random, context: dict[str, str | tuple[str, ...]]) -> None:
        self.rng = rng
        self.context = context

    def pick(self, options):
        """Choose one option."""
        return self.rng.choice(tuple(options))

    def fill(self, template: str, **values: object) -> str:
        """Replace {placeholders} from values, the report context, synonyms or numbers.

        A value that starts a sentence gets a capital letter."""

        def sub(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in values:
                value = str(values[key])
            elif key in self.context:
                value = self.context[key]
                value = self.pick(value) if isinstance(value, tuple) else value
            elif key in BANKS["synonyms"]:
                value = self.pick(BANKS["synonyms"][key])
            elif key == "pct":
                value = str(self.rng.randint(12, 46))
            elif key == "n":
                value = str(self.rng.randint(4, 140))
            else:
                raise KeyError(f"unknown placeholder {{{key}}} in {template!r}")
            before = match.string[: match.start()].rstrip()
            return cap(value) if before[-1:] in ("", ".", "?", "!") else value

        text = template
        for _ in range(3):  # values may themselves hold placeholders
            text = _PLACEHOLDER.sub(sub, text)
        return text

    def say(self, key: str, **values: object) -> str:
        """Fill one paraphrase of template `key` (see wording.yaml) as a sentence."""
        return cap(self.fill(self.pick(TEMPLATES[key]), **values))

    def say_text(self, template: str, **values: object) -> str:
        """Fill a literal template as a sentence."""
        return cap(self.fill(template, **values))

    def bank(self, key: str):
        """A named list from the wording banks (places, courses, pseudonyms...)."""
        return BANKS[key]

    def shuffled(self, items: list) -> list:
        """Items in a seed-decided order (for sentences whose order does not matter)."""
        items = list(items)
        self.rng.shuffle(items)
        return items

    def person(self) -> str:
        """An invented name."""
        return f"{self.pick(BANKS['first_names'])} {self.pick(BANKS['surnames'])}"

    def metric_change(self, up_is_good: bool) -> tuple[int, int]:
        """Before/after percentages that moved in the good direction."""
        if up_is_good:
            before = self.rng.randint(35, 70)
            return before, min(97, before + self.rng.randint(6, 22))
        before = self.rng.randint(18, 38)
        return before, before - self.rng.randint(3, 10)

    def plural(self, n: int, one: str, many: str) -> str:
        """'one rapid review' / '3 rapid reviews'."""
        return f"{num_words(n, self.rng)} {one if n == 1 else many}"
