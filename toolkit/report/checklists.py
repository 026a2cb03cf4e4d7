"""Reporting checklists: all 32 COREQ items and all 21 SRQR items.

Each item is either answered from the data (sample size, description of the sample,
saturation, coders, coding tree, software, quotations, themes) with the section where the
report shows it (a link in HTML and Word, the page in the PDF), or left for the authors with
the item's own question. Item wording paraphrases Tong, Sainsbury and Craig (2007) and
O'Brien et al. (2014).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection

import polars as pl

from toolkit import __version__
from toolkit.analysis import Results
from toolkit.model import Study
from toolkit.report import tables
from toolkit.report.spec import Table
from toolkit.text import plural

FOR_AUTHORS = "For the authors: "

#: COREQ (Tong, Sainsbury and Craig 2007): number, topic, what to report (paraphrased).
COREQ: tuple[tuple[int, str, str], ...] = (
    (1, "Interviewer or facilitator", "which authors conducted the interviews or focus groups?"),
    (2, "Credentials", "what were the researcher's credentials (for example PhD, MD)?"),
    (3, "Occupation", "what was their occupation when the study was done?"),
    (4, "Gender", "was the researcher male or female?"),
    (
        5,
        "Experience and training",
        "what experience or training in qualitative research did they have?",
    ),
    (
        6,
        "Relationship established",
        "was a relationship with participants established before the study began?",
    ),
    (
        7,
        "Participant knowledge of the interviewer",
        "what did participants know about the researcher (goals, reasons for the research)?",
    ),
    (
        8,
        "Interviewer characteristics",
        "what was reported about the interviewer (biases, assumptions, interest in the topic)?",
    ),
    (
        9,
        "Methodological orientation and theory",
        "which orientation underpinned the study (for example grounded theory, phenomenology, content analysis)?",
    ),
    (
        10,
        "Sampling",
        "how were participants selected (purposive, convenience, consecutive, snowball)?",
    ),
    (
        11,
        "Method of approach",
        "how were participants approached (face-to-face, telephone, mail, e-mail)?",
    ),
    (12, "Sample size", "how many participants were in the study?"),
    (13, "Non-participation", "how many people refused or dropped out, and why?"),
    (14, "Setting of data collection", "where were the data collected (home, clinic, workplace)?"),
    (
        15,
        "Presence of non-participants",
        "was anyone else present besides participants and researchers?",
    ),
    (
        16,
        "Description of sample",
        "what are the important characteristics of the sample (demographics, date)?",
    ),
    (
        17,
        "Interview guide",
        "were questions, prompts and guides provided by the authors, and was the guide pilot tested?",
    ),
    (18, "Repeat interviews", "were repeat interviews carried out, and how many?"),
    (19, "Audio or visual recording", "was the research recorded on audio or video?"),
    (20, "Field notes", "were field notes made during and/or after the interviews?"),
    (21, "Duration", "how long were the interviews or focus groups?"),
    (22, "Data saturation", "was data saturation discussed?"),
    (
        23,
        "Transcripts returned",
        "were transcripts returned to participants for comment or correction?",
    ),
    (24, "Number of data coders", "how many data coders coded the data?"),
    (25, "Description of the coding tree", "did the authors describe the coding tree?"),
    (26, "Derivation of themes", "were themes identified in advance or derived from the data?"),
    (27, "Software", "what software, if any, was used to manage the data?"),
    (28, "Participant checking", "did participants give feedback on the findings?"),
    (
        29,
        "Quotations presented",
        "were participant quotations presented to illustrate the themes, each identified?",
    ),
    (
        30,
        "Data and findings consistent",
        "was there consistency between the data presented and the findings?",
    ),
    (31, "Clarity of major themes", "were major themes clearly presented in the findings?"),
    (
        32,
        "Clarity of minor themes",
        "is there a description of diverse cases or a discussion of minor themes?",
    ),
)

#: SRQR (O'Brien et al. 2014): number, topic, what to report (paraphrased).
SRQR: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "Title",
        "a concise title naming the study's nature and topic as qualitative (approach or data collection method).",
    ),
    (
        2,
        "Abstract",
        "a summary of the key elements in the journal's abstract format: background, purpose, methods, results and conclusions.",
    ),
    (
        3,
        "Problem formulation",
        "the problem studied, why it matters, and a review of the relevant theory and empirical work.",
    ),
    (
        4,
        "Purpose or research question",
        "the purpose of the study and its objectives or questions.",
    ),
    (
        5,
        "Qualitative approach and research paradigm",
        "the approach (for example ethnography, grounded theory, phenomenology) and guiding theory, with the paradigm and why it was chosen.",
    ),
    (
        6,
        "Researcher characteristics and reflexivity",
        "the researchers' characteristics that may influence the research, their relationship with participants, and how this was handled.",
    ),
    (
        7,
        "Context",
        "the setting and site, and the salient contextual factors, with their rationale.",
    ),
    (
        8,
        "Sampling strategy",
        "how and why participants, documents or events were selected, and the criteria for deciding when no further sampling was needed.",
    ),
    (
        9,
        "Ethical issues pertaining to human subjects",
        "documentation of approval by an ethics review board and participant consent, or why it was not needed; confidentiality and data security.",
    ),
    (
        10,
        "Data collection methods",
        "the types of data collected, the procedures, start and stop dates, and any iterative changes to the procedures.",
    ),
    (
        11,
        "Data collection instruments and technologies",
        "the instruments (for example interview guides, questionnaires) and devices used, and whether and how they changed over the study.",
    ),
    (
        12,
        "Units of study",
        "the number and relevant characteristics of participants, documents or events included, and the level of participation.",
    ),
    (
        13,
        "Data processing",
        "the methods for processing the data before and during analysis: transcription, data entry and management, security, verification, de-identification.",
    ),
    (
        14,
        "Data analysis",
        "the process by which inferences and themes were identified and developed, including the researchers involved and the paradigm or approach used.",
    ),
    (
        15,
        "Techniques to enhance trustworthiness",
        "the techniques used to enhance trustworthiness and credibility (for example member checking, audit trail, triangulation), with their rationale.",
    ),
    (
        16,
        "Synthesis and interpretation",
        "the main findings (interpretations, inferences, themes), possibly including a theory or model, integrated with prior research or theory.",
    ),
    (
        17,
        "Links to empirical data",
        "evidence (for example quotations, field notes, text excerpts, photographs) substantiating the findings.",
    ),
    (
        18,
        "Integration with prior work, implications, transferability and contribution",
        "short summary of the main findings; how they connect to and challenge earlier scholarship; the scope of application and generalisability; the unique contribution.",
    ),
    (19, "Limitations", "the trustworthiness and limitations of the findings."),
    (
        20,
        "Conflicts of interest",
        "potential influences or perceived influences on the conduct and conclusions of the study, and how they were managed.",
    ),
    (
        21,
        "Funding",
        "the sources of funding and other support, and the role of the funders in data collection, interpretation and reporting.",
    ),
)

Answer = tuple[str, str]  # (answer, anchor of the section where it is reported)


def _descriptions(study: Study, results: Results) -> str:
    parts = []
    for attribute in results.settings.strata:
        spec = study.attribute(attribute)
        # the same subgroups as the participants and prevalence tables hide
        groups = (
            results.need("cohort")
            .filter(pl.col("by") == attribute)
            .select("group", "group_size")
            .unique(subset="group", maintain_order=True)
            .rows()[1:]
        )
        parts.append(
            f"{spec.display}: "
            + ", ".join(
                f"{level} {tables.SUPPRESSED if size is None else size}" for level, size in groups
            )
        )
    return ("; ".join(parts) + ". " if parts else "") + "See the participants table."


def _tree(study: Study) -> str:
    from toolkit.stats.hierarchy import tree_order

    depths = tree_order(study.codebook)["depth"].to_list()
    per_depth = Counter(depths)  # one pass: a 10,000-level codebook has 10,000 depths
    levels = [per_depth[k] for k in range(max(depths, default=-1) + 1)]
    names = ["domain", "theme", "code", "sub-code"]
    return ", ".join(
        plural(n, names[k] if k < len(names) else f"level-{k + 1} node")
        for k, n in enumerate(levels)
    )


def _coders(study: Study) -> int:
    if "coder" not in study.codings.columns:
        return 0
    return len({c for c in study.codings["coder"].to_list() if c is not None})


def _code_saturation(study: Study, results: Results) -> str:
    """Saturation at code level (COREQ 22 asks for more than the themes), from the results."""
    codes = results.code_saturation
    if results.saturation is None or codes is None:
        return ""
    statement = codes.statement  # "code level: saturation at n = …"
    return f" {_sentence(statement[:1].upper() + statement[1:])}"


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def coreq_answers(study: Study, results: Results) -> dict[int, Answer]:
    """The COREQ items the data answer, with the section that reports each."""
    sat = results.saturation
    coders = _coders(study)
    themes = "the prevalence table lists every theme with x/n and its interval, the key findings the most and least voiced"
    answers: dict[int, Answer] = {
        12: (f"{study.n_participants} participants.", "cohort"),
        16: (_descriptions(study, results), "cohort"),
        22: (
            (_sentence(tables.heading(sat.statement)) if sat is not None else "Not assessed.")
            + _code_saturation(study, results),
            "saturation",
        ),
        24: (
            f"{coders} coders." if coders else "Not recorded in the codings.",
            "agreement" if coders > 1 else "methods",
        ),
        25: (f"{_tree(study)}; shown in full in the theme prevalence table.", "prevalence"),
        27: (
            f"Analysis and report: raremix {__version__}. The coding software is not recorded "
            "in the inputs.",
            "methods",
        ),
        29: (
            f"Yes: up to {results.settings.quotes_per_theme} per theme, each identified by a "
            "pseudonym.",
            "joint-display",
        ),
        31: (f"Yes: {themes}.", "prevalence"),
        32: (
            "Yes: the codes below each theme, with their own counts, and the themes voiced by "
            "few or no participants.",
            "prevalence",
        ),
    }
    return answers


def srqr_answers(study: Study, results: Results) -> dict[int, Answer]:
    """The SRQR items the data answer, with the section that reports each."""
    answers: dict[int, Answer] = {
        12: (
            f"{study.n_participants} participants; their characteristics in the participants "
            "table.",
            "cohort",
        ),
        13: (
            "Pseudonyms, quotation redaction and small-cell suppression as described; input "
            "files with their checksums in the provenance.",
            "methods",
        ),
        14: (
            "Prevalence from the codings with intervals, subgroup differences, co-occurrence "
            "and saturation, as described in the methods; the interpretive analysis is for the "
            "authors.",
            "methods",
        ),
        16: ("Theme prevalence beside the participants' words.", "joint-display"),
        17: ("Exemplar quotations for each theme, attributed by pseudonym.", "joint-display"),
    }
    if results.agreement is not None:
        answers[15] = ("Agreement between coders on each theme.", "agreement")
    elif results.saturation is not None:
        answers[15] = ("Saturation assessed; no double coding in the inputs.", "saturation")
    return answers


def checklist_table(
    name: str,
    title: str,
    items: tuple[tuple[int, str, str], ...],
    answers: dict[int, Answer],
    present: Collection[str],
) -> Table:
    """One checklist as a table: item, answer (or the item's question for the authors),
    and where the answer is reported (only sections the report has)."""
    rows = []
    where = []
    for number, topic, question in items:
        answer, anchor = answers.get(number, ("", ""))
        if not answer:
            answer = FOR_AUTHORS + question
        rows.append((f"{number}. {topic}", answer))
        where.append(anchor if anchor in present else "")
    filled = sum(1 for w in where if w)
    return Table(
        name=name,
        caption=(
            f"{title}: all {len(items)} items; {filled} answered from the data, with the "
            "section (PDF: the page) where the report shows them, the others left for the "
            "authors with the item's question."
        ),
        columns=("Item", "Answer"),
        rows=tuple(rows),
        align=("l", "l"),
        widths=(24, 60),
        where=tuple(where),
    )


def checklists(study: Study, results: Results, present: Collection[str]) -> tuple[Table, Table]:
    """The COREQ and SRQR tables of a study report."""
    build: Callable[..., Table] = checklist_table
    return (
        build(
            "coreq",
            "COREQ (Tong, Sainsbury and Craig 2007)",
            COREQ,
            coreq_answers(study, results),
            present,
        ),
        build(
            "srqr",
            "SRQR (O'Brien et al. 2014)",
            SRQR,
            srqr_answers(study, results),
            present,
        ),
    )
