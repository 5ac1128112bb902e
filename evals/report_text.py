"""Wording banks for the synthetic sample reports (all text invented for this project).

Every statement has several paraphrases and draws synonyms from a seeded RNG, so two reports
with the same attributes still read differently and keyword tricks do not work. Text is plain
ASCII plus the pound sign and the bullet, which reportlab's core Helvetica can encode.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

PLACES = (
    "Eastmoor",
    "Kingsbridge and Vale",
    "Harrowmere",
    "Calderwick",
    "Westholme",
    "Ashcombe Vale",
    "Brackenford",
    "Redmarsh",
    "Fenwick Downs",
    "Stellbridge",
    "Marrowdale",
    "Greywater",
    "Hollinsfield",
    "Larkmoor",
    "Saltmere",
    "Wyncombe",
    "Ambermouth",
    "Dunmere and Tarn",
    "Ravensholm",
    "Elmstead and Farrow",
    "Oxleigh",
    "Brindlecombe",
    "Castlereach",
    "Thistlebury",
    "Penmarsh",
    "Wolverdale",
    "Merrowfield",
    "Fallowmere",
    "Copperwell",
    "Kestrel Vale",
    "Tamberley",
    "Glenmoss",
)
PARTNERSHIP_SUFFIXES = (
    "Safeguarding Children Partnership",
    "Safeguarding Children Partnership",
    "Children's Safeguarding Partnership",
    "Safeguarding Partnership for Children",
)
FIRST_NAMES = (
    "Helen",
    "David",
    "Priya",
    "Martin",
    "Jo",
    "Samuel",
    "Ruth",
    "Imran",
    "Claire",
    "Gareth",
    "Nadia",
    "Peter",
    "Alison",
    "Tom",
    "Bernadette",
    "Kwame",
)
SURNAMES = (
    "Marsh",
    "Holloway",
    "Okafor",
    "Pennington",
    "Reeve",
    "Castell",
    "Whitlock",
    "Adeyemi",
    "Barraclough",
    "Sandford",
    "Quayle",
    "Lindqvist",
    "Tranter",
    "Boswell",
)
MONTHS = (
    "April",
    "May",
    "June",
    "July",
    "September",
    "October",
    "November",
    "January",
    "February",
    "March",
)
PSEUDONYMS = ("Child K", "Child M", "Baby L", "Family R", "Child T", "Baby J", "Siblings A and B")

SYNONYMS: dict[str, tuple[str, ...]] = {
    "partners": (
        "the safeguarding partners",
        "the three safeguarding partners",
        "partners",
        "partner agencies",
        "the statutory partners",
    ),
    "practitioners": (
        "practitioners",
        "frontline staff",
        "professionals",
        "the multi-agency workforce",
        "staff across agencies",
    ),
    "children": ("children and young people", "children", "young people", "local children"),
    "families": ("families", "parents and carers", "children's families"),
    "agreed": ("agreed", "decided", "resolved"),
    "showed": ("showed", "found", "told us", "indicated"),
    "important": ("important", "essential", "vital", "key"),
}


@dataclass
class Theme:
    """One priority theme: display names, a reason, past-tense actions and an outcome metric."""

    names: tuple[str, ...]
    why: str
    acts: tuple[str, ...]
    metric: str
    up_is_good: bool
    context: str = ""


T = Theme
SAFEGUARDING: dict[str, Theme] = {
    "neglect": T(
        ("Neglect", "Tackling neglect", "Responding to neglect"),
        "neglect was the main concern in {pct}% of child protection plans",
        (
            "launched a multi-agency neglect strategy",
            "rolled out a graded neglect assessment tool",
            "ran neglect awareness sessions for {practitioners}",
        ),
        "children starting a second child protection plan for neglect",
        False,
        "Neglect remains the most common reason for a child protection plan ({pct}% of plans).",
    ),
    "child_exploitation": T(
        (
            "Child exploitation",
            "Exploitation, including county lines",
            "Tackling child exploitation",
        ),
        "police identified {n} children at risk of criminal or sexual exploitation",
        (
            "set up a multi-agency child exploitation panel",
            "introduced a shared exploitation screening tool",
            "worked with taxi licensing and transport staff on spotting signs",
        ),
        "children open to the exploitation panel whose risk reduced within six months",
        True,
        "Police mapped {n} young people linked to county lines activity in the area.",
    ),
    "extra_familial_harm": T(
        (
            "Extra-familial harm",
            "Contextual safeguarding and youth violence",
            "Keeping young people safe outside the home",
        ),
        "hospital admissions for assault among under-18s rose by {pct}%",
        (
            "piloted a contextual safeguarding approach in two neighbourhoods",
            "mapped peer groups and places of concern",
            "funded youth workers in the emergency department",
        ),
        "young people returning to hospital after an assault",
        False,
        "Serious youth violence offences rose by {pct}% on the previous year.",
    ),
    "domestic_abuse": T(
        (
            "Domestic abuse",
            "Children affected by domestic abuse",
            "Domestic abuse and its impact on children",
        ),
        "domestic abuse was a factor in {pct}% of children's social care assessments",
        (
            "sent police domestic abuse notifications to every school the next morning",
            "commissioned a recovery programme for children who witness abuse",
            "strengthened the links between the risk conference and children's services",
        ),
        "children re-referred because of domestic abuse within a year",
        False,
        "Domestic abuse was recorded as a factor in {pct}% of social care assessments.",
    ),
    "childrens_mental_health": T(
        (
            "Children's mental health",
            "Emotional wellbeing and mental health",
            "Supporting children's mental health",
        ),
        "referrals to child and adolescent mental health services rose by {pct}%",
        (
            "placed mental health support teams in schools",
            "agreed a joint self-harm pathway",
            "trained school staff in mental health first aid",
        ),
        "children seen within four weeks of referral",
        True,
        "Demand for children's mental health services rose by {pct}% during lockdown.",
    ),
    "parental_mh_substance": T(
        (
            "Parental mental health and substance misuse",
            "Parents' mental health, drug and alcohol use",
            "Parental substance misuse",
        ),
        "parental drug or alcohol use was recorded in {pct}% of assessments",
        (
            "linked adult drug and alcohol services to the front door",
            "introduced joint visits by adult and children's workers",
            "set up a parental mental health consultation line",
        ),
        "assessments with a contribution from adult services",
        True,
        "Parental drug and alcohol use featured in {pct}% of assessments.",
    ),
    "csa_in_family": T(
        (
            "Child sexual abuse in the family",
            "Intra-familial sexual abuse",
            "Sexual abuse within families",
        ),
        "only {n} children had a plan for sexual abuse, fewer than in similar areas",
        (
            "adopted a signs and indicators template for sexual abuse",
            "trained {practitioners} to recognise signs of sexual abuse",
            "reviewed the pathway for medical examinations",
        ),
        "concerns about sexual abuse that led to a joint investigation",
        True,
        "Fewer children are identified as at risk of sexual abuse than in similar areas.",
    ),
    "harmful_sexual_behaviour": T(
        (
            "Harmful sexual behaviour",
            "Children showing harmful sexual behaviour",
            "Harmful sexual behaviour by children",
        ),
        "schools reported {n} incidents of harmful sexual behaviour",
        (
            "introduced a specialist assessment framework",
            "gave schools a harmful sexual behaviour toolkit",
            "set up a consultation line for designated safeguarding leads",
        ),
        "referrals with a completed specialist assessment",
        True,
        "Schools reported {n} incidents of harmful sexual behaviour between pupils.",
    ),
    "online_safety": T(
        ("Online safety", "Keeping children safe online", "Online harm"),
        "police recorded a {pct}% rise in online offences against children",
        (
            "ran an online safety campaign for parents",
            "trained foster carers on online risks",
            "worked with schools on the sharing of images",
        ),
        "parents who knew how to set parental controls",
        True,
        "Online offences against children rose by {pct}% while children were at home.",
    ),
    "vulnerable_babies": T(
        ("Vulnerable babies", "Safer sleep and babies at risk", "Protecting babies and infants"),
        "{n} of our rapid reviews concerned babies under one",
        (
            "launched a safer sleep campaign",
            "introduced a pre-birth assessment protocol",
            "trained midwives and health visitors on bruising in non-mobile babies",
        ),
        "pre-birth assessments completed by 28 weeks of pregnancy",
        True,
        "{n} serious incidents in the last two years involved babies under one.",
    ),
    "early_help": T(
        ("Early help", "Early help for families", "Help at the earliest point"),
        "{pct}% of contacts to the front door needed no statutory service",
        (
            "opened family hubs in three localities",
            "simplified the early help assessment",
            "trained school staff to act as lead professionals",
        ),
        "families whose needs were met when early help closed",
        True,
        "{pct}% of contacts to the front door were stepped down to early help.",
    ),
    "missing_education": T(
        ("Children missing education", "Children not in school", "Children missing from education"),
        "elective home education rose by {pct}%",
        (
            "set up a children missing education panel",
            "agreed visits to every child newly educated at home",
            "shared attendance data weekly between schools and the council",
        ),
        "children missing education who found a school place within 20 days",
        True,
        "Elective home education rose by {pct}% after schools reopened.",
    ),
    "missing_children": T(
        ("Missing children", "Children who go missing", "Children missing from home and care"),
        "police recorded {n} missing episodes involving children",
        (
            "improved return home interviews",
            "introduced a missing children's panel",
            "shared missing episodes with schools",
        ),
        "return home interviews completed within 72 hours",
        True,
        "Police recorded {n} episodes of children going missing.",
    ),
    "disabled_children": T(
        ("Disabled children", "Safeguarding disabled children", "Children with disabilities"),
        "disabled children were under-represented among children on plans",
        (
            "trained staff on communicating with disabled children",
            "reviewed the pathway for disabled children",
            "joined up short breaks with safeguarding",
        ),
        "disabled children's assessments recording the child's views",
        True,
        "About {pct}% of children known to social care have a disability.",
    ),
    "race_ethnicity_culture": T(
        (
            "Race, ethnicity and culture",
            "Racial equality in safeguarding",
            "Culturally competent practice",
        ),
        "Black and mixed-heritage children were over-represented among children in care",
        (
            "ran workshops on culturally competent practice",
            "audited the recording of ethnicity",
            "worked with faith and community leaders",
        ),
        "case records where ethnicity and culture were considered",
        True,
        "{pct}% of children in the area are from Black and minority ethnic communities.",
    ),
    "transition_adulthood": T(
        (
            "Transition to adulthood",
            "Young people moving into adulthood",
            "Transitional safeguarding",
        ),
        "young people at risk of exploitation lost support at 18",
        (
            "agreed a transitional safeguarding protocol",
            "set up a joint 16 to 25 panel",
            "linked the children's and adults' boards",
        ),
        "young people with a transition plan by age 17",
        True,
        "Around {n} young people turn 18 each year while open to children's services.",
    ),
    "fathers_men": T(
        (
            "Fathers and men in the family",
            "Involving fathers",
            "Seeing the men in children's lives",
        ),
        "reviews found that fathers and male carers were often not assessed",
        (
            "changed forms to record fathers' details",
            "ran sessions on father-inclusive practice",
            "asked health visitors to invite fathers to contacts",
        ),
        "assessments recording the father's views",
        True,
        "Reviews often note that fathers are absent from case records.",
    ),
    "young_carers": T(
        ("Young carers", "Children who care for others", "Supporting young carers"),
        "schools identified only {n} young carers, far fewer than expected",
        (
            "introduced a young carers' identification tool for schools",
            "commissioned young carers' assessments",
            "ran a young carers' awareness day",
        ),
        "young carers with a completed assessment",
        True,
        "Schools know of {n} young carers, fewer than the census suggests.",
    ),
    "radicalisation": T(
        ("Radicalisation", "Preventing radicalisation", "Protecting children from extremism"),
        "referrals of under-18s to the Prevent programme rose by {pct}%",
        (
            "refreshed the membership of the Channel panel",
            "trained designated safeguarding leads on Prevent",
            "shared briefings on online extremism",
        ),
        "Prevent referrals that received a multi-agency response",
        True,
        "Prevent referrals for under-18s rose by {pct}%.",
    ),
}

PRACTICE: dict[str, Theme] = {
    "information_sharing": T(
        (
            "Information sharing",
            "Sharing information between agencies",
            "Better information sharing",
        ),
        "rapid reviews found agencies held information that was not shared",
        (
            "issued a multi-agency information sharing guide",
            "gave GP practices access to the child protection information system",
            "agreed a shared consent protocol",
        ),
        "strategy discussions attended by health",
        True,
    ),
    "risk_assessment": T(
        ("Risk assessment", "Assessing risk", "Quality of risk assessment"),
        "audits found risk was assessed by single agencies in isolation",
        (
            "adopted a shared risk assessment model",
            "ran joint risk workshops",
            "refreshed guidance on assessing cumulative harm",
        ),
        "audited cases with a multi-agency risk assessment",
        True,
    ),
    "thresholds": T(
        (
            "Thresholds and decision-making",
            "Decision-making and thresholds",
            "Applying thresholds consistently",
        ),
        "{pct}% of referrals led to no further action",
        (
            "relaunched the threshold guidance",
            "held threshold clinics for {practitioners}",
            "introduced a dispute resolution process",
        ),
        "referrals leading to no further action",
        False,
    ),
    "professional_curiosity": T(
        (
            "Professional curiosity and challenge",
            "Professional curiosity",
            "Respectful challenge between professionals",
        ),
        "several reviews found explanations were accepted without question",
        (
            "ran a professional curiosity campaign",
            "refreshed the escalation policy",
            "added curiosity prompts to supervision",
        ),
        "escalations resolved at the first stage",
        True,
    ),
    "child_voice": T(
        (
            "The child's lived experience",
            "Hearing the voice of the child",
            "Understanding children's daily lives",
        ),
        "audits found children's views were missing from plans",
        (
            "introduced direct work tools",
            "added a day-in-the-life section to assessments",
            "trained {practitioners} in talking with children",
        ),
        "plans that recorded the child's own words",
        True,
    ),
    "disguised_compliance": T(
        (
            "Disguised compliance",
            "Working with reluctant families",
            "Families who find it hard to engage",
        ),
        "reviews found repeated missed appointments were not acted on",
        (
            "issued guidance on non-engagement",
            "introduced a was-not-brought policy",
            "held reflective sessions on disguised compliance",
        ),
        "children not brought to appointments who were followed up",
        True,
    ),
    "whole_family": T(
        ("Whole-family working", "Think family", "Working with the whole family"),
        "adults' and children's services rarely held joint plans",
        (
            "launched a think-family protocol",
            "held joint case discussions",
            "placed adult and children's workers together",
        ),
        "plans with a contribution from adult services",
        True,
    ),
    "front_door": T(
        (
            "The multi-agency front door",
            "Our multi-agency safeguarding hub",
            "Front door arrangements",
        ),
        "contacts to the front door rose by {pct}%",
        (
            "added health and education staff to the hub",
            "introduced daily multi-agency risk meetings",
            "made referral forms simpler",
        ),
        "contacts decided within 24 hours",
        True,
    ),
    "data_quality_assurance": T(
        (
            "Data and quality assurance",
            "Using data to improve practice",
            "Quality assurance and performance",
        ),
        "the partnership had no shared dataset",
        (
            "built a multi-agency performance dashboard",
            "ran a programme of multi-agency audits",
            "agreed a quality assurance framework",
        ),
        "audit actions completed on time",
        True,
    ),
    "workforce_supervision": T(
        ("Workforce and supervision", "A confident workforce", "Supervision and staff support"),
        "staff turnover in children's social care was {pct}%",
        (
            "introduced multi-agency reflective supervision",
            "ran a wellbeing offer for staff",
            "set up a new induction for practitioners",
        ),
        "practitioners receiving regular supervision",
        True,
    ),
    "leadership_culture": T(
        ("Leadership and culture", "Strong partnership leadership", "A learning culture"),
        "a peer review found leaders were not visible to frontline staff",
        (
            "held leaders' practice walks",
            "ran a partnership development day",
            "set up a practitioner reference group",
        ),
        "practitioners who said leaders listen to them",
        True,
    ),
    "equality": T(
        ("Equality and inclusion", "Equality", "Fair access to services"),
        "some communities rarely used early help",
        (
            "completed an equality impact assessment",
            "translated key leaflets",
            "trained staff on unconscious bias",
        ),
        "early help take-up in under-served communities",
        True,
    ),
}

NATIONAL_REVIEWS: dict[str, tuple[str, int]] = {
    # slug -> (how reports cite it, year of publication); only reviews out by the period's end
    "hard_to_escape": (
        'the national review of child criminal exploitation, "It was hard to escape"',
        2020,
    ),
    "out_of_routine": (
        '"Out of routine", the national review of sudden unexpected death in infancy',
        2020,
    ),
    "invisible_men": (
        '"The myth of invisible men", the national review of men in the lives of babies',
        2021,
    ),
    "arthur_star": (
        '"Child Protection in England", the national review of two child murders',
        2022,
    ),
    "disabled_residential": (
        "the national review of disabled children in residential settings",
        2022,
    ),
}

DISSEMINATION: dict[str, tuple[str, ...]] = {
    "learning_briefings": (
        "seven-minute briefings",
        "7-minute learning briefings",
        "short learning briefs",
    ),
    "events_conferences": (
        "a multi-agency learning event",
        "our annual safeguarding conference",
        "online learning events",
    ),
    "training_updates": ("changes to our training courses", "updates to the training programme"),
    "newsletters": ("the partnership newsletter", "our quarterly newsletter"),
    "webinars_podcasts": ("recorded webinars", "a short podcast series"),
    "updated_procedures": ("changes to the multi-agency procedures", "updated practice guidance"),
    "practitioner_forums": ("practitioner forums", "the designated safeguarding leads' forum"),
    "website": ("the partnership website", "our website"),
}

RELEVANT_AGENCIES = (
    (
        "NHS hospital and community trusts",
        "lead on health safeguarding and attend strategy discussions",
    ),
    ("The probation service", "shares information on adults who pose a risk to children"),
    ("The youth justice service", "leads work with children in the justice system"),
    (
        "Housing providers",
        "flag concerns from tenancy visits and support families at risk of homelessness",
    ),
    ("The fire and rescue service", "makes referrals from home safety visits"),
    ("Voluntary and community organisations", "deliver early help and family support"),
    ("Sports clubs and faith groups", "take part in safer recruitment and awareness work"),
    ("The ambulance service", "raises concerns from emergency call-outs"),
)
EDUCATION_AGENCIES = (
    (
        "Schools and colleges",
        "each have a designated safeguarding lead and complete an annual safeguarding audit",
    ),
    ("Early years settings", "take part in training and early help"),
)
COURSES = (
    "Working together to safeguard children",
    "Neglect and the graded care tool",
    "Child exploitation awareness",
    "Domestic abuse and children",
    "Safer sleep",
    "Harmful sexual behaviour",
    "Professional curiosity",
    "Designated safeguarding lead update",
    "Thresholds and referral",
    "Learning from reviews",
    "Online safety",
    "Parental mental health",
    "Trauma-informed practice",
)
GLOSSARY = (
    ("CCG", "Clinical commissioning group (NHS)"),
    ("ICB", "Integrated care board (NHS)"),
    ("LCSPR", "Local child safeguarding practice review"),
    ("MASH", "Multi-agency safeguarding hub"),
    ("CIN", "Child in need"),
    ("CP plan", "Child protection plan"),
    ("DSL", "Designated safeguarding lead"),
    ("Rapid review", "Quick multi-agency review after a serious incident"),
)
SMALL_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def num_words(n: int, rng: random.Random) -> str:
    """Spell small numbers as words about half the time, as real reports mix both."""
    if 0 <= n < len(SMALL_NUMBERS) and rng.random() < 0.6:
        return SMALL_NUMBERS[n]
    return f"{n:,}"


def cap(text: str) -> str:
    """Upper-case the first character only."""
    return text[:1].upper() + text[1:]


class Wording:
    """Fills templates: picks paraphrases, synonyms and numbers from one seeded RNG."""

    def __init__(self, rng: random.Random, context: dict[str, str | tuple[str, ...]]) -> None:
        self.rng = rng
        self.context = context

    def pick(self, options):
        """Choose one option."""
        return self.rng.choice(tuple(options))

    def fill(self, template: str, **values: object) -> str:
        """Replace {placeholders} from values, the report context, synonyms or numbers."""

        def sub(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in values:
                value = str(values[key])
            elif key in self.context:
                value = self.context[key]
                value = self.pick(value) if isinstance(value, tuple) else value
            elif key in SYNONYMS:
                value = self.pick(SYNONYMS[key])
            elif key == "pct":
                value = str(self.rng.randint(12, 46))
            elif key == "n":
                value = str(self.rng.randint(4, 140))
            else:
                raise KeyError(f"unknown placeholder {{{key}}} in {template!r}")
            before = match.string[: match.start()].rstrip()
            return cap(value) if before[-1:] in (".", "?", "!") else value

        text = template
        for _ in range(3):  # values may themselves hold placeholders
            text = _PLACEHOLDER.sub(sub, text)
        return text

    def say(self, options, **values: object) -> str:
        """Fill one randomly chosen paraphrase, as a sentence (first letter capitalised)."""
        return cap(self.fill(self.pick(options), **values))

    def shuffled(self, items: list) -> list:
        """Items in a seed-decided order (for sentences whose order does not matter)."""
        items = list(items)
        self.rng.shuffle(items)
        return items

    def metric_change(self, up_is_good: bool) -> tuple[int, int]:
        """Before/after percentages that moved in the good direction."""
        if up_is_good:
            before = self.rng.randint(35, 70)
            return before, min(97, before + self.rng.randint(6, 22))
        before = self.rng.randint(18, 38)
        return before, before - self.rng.randint(3, 10)


# Neutral paragraphs per section: real reports carry much text that evidences no audit question.
FILLER: dict[str, tuple[str, ...]] = {
    "foreword": (
        "This has been a year of change for the partnership, with new leaders in two of the "
        "three agencies.",
        "I want to recognise the families who faced lockdown in crowded homes, often with little "
        "outside support.",
        "Reading this report, I hope you will get a sense of the range of work that goes on "
        "every day across {place}.",
        "The partners have continued to meet regularly and to challenge each other openly.",
    ),
    "arrangements": (
        "The executive is supported by a small business unit hosted by {la}.",
        "Each subgroup has terms of reference and a work plan agreed by the executive.",
        "A child death overview panel is run jointly with a neighbouring area.",
        "The partnership works closely with the community safety partnership, the health and "
        "wellbeing board and the safeguarding adults board.",
        "Our published arrangements describe how the partners share decisions and resources.",
    ),
    "context": (
        "The area has a mix of market towns, rural villages and one large urban centre.",
        "The population is growing, with new housing on the edge of the main towns.",
        "Around {pct}% of pupils are eligible for free school meals.",
        "Unemployment rose during the year as businesses closed during lockdown.",
    ),
    "priorities": (
        "Each priority has a lead from one of the three partners and a delivery plan overseen "
        "by a subgroup.",
        "Priorities normally run for two years so that work has time to take effect.",
    ),
    "progress": (
        "Delivery plans set out the actions, leads and timescales for each priority.",
        "Progress is reported to the executive in a highlight report each quarter.",
        "This section looks at each priority in turn.",
    ),
    "learning": (
        "The learning and review subgroup meets every six weeks and oversees all review activity.",
        "Rapid reviews are completed within 15 working days and sent to the national panel.",
        "Local reviews are led by independent reviewers with no prior involvement with the family.",
    ),
    "training": (
        "Courses are delivered by a pool of trainers from partner agencies.",
        "Most courses moved online, which made it easier for some staff to attend and harder "
        "for others.",
        "The training and workforce subgroup reviews the programme each year.",
    ),
    "scrutiny": ("Scrutiny is one part of the partnership's wider quality assurance work.",),
    "agencies": ("Partners work with a wide range of organisations across {place}.",),
    "plans": (
        "The executive will review progress against these plans every quarter.",
        "The next report will be published in the autumn.",
    ),
    "pandemic": (
        "Partners shared staff where services were stretched, for example in the front door.",
        "Virtual meetings made it easier for GPs and schools to attend case conferences.",
    ),
}
