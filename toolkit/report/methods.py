"""The methods text and the references of the study report, written from the settings.

Every method the report names is cited (:data:`REFERENCES`); the methods paragraphs say how
prevalence, differences, saturation, co-occurrence and agreement were computed, how to read
them, what privacy protection was applied, and which raremix (version, where to get it,
how to cite it) made the report.
"""

from __future__ import annotations

import platform

import polars as pl

from toolkit import __version__
from toolkit.analysis import Results
from toolkit.model import Study
from toolkit.report import tables
from toolkit.text import plural

#: Where raremix comes from and how to cite it (the repository's CITATION.cff).
CITE_RAREMIX = (
    f"raremix {__version__}: a rare-disease mixed-methods reporting toolkit. Cite the version "
    "used, as given in CITATION.cff at the root of the raremix source repository."
)

#: key -> reference, in the order a reader meets them.
REFERENCES: dict[str, str] = {
    "wilson": "Wilson EB. Probable inference, the law of succession, and statistical inference. "
    "J Am Stat Assoc. 1927;22(158):209–212.",
    "wilson_cc": "Newcombe RG. Two-sided confidence intervals for the single proportion: "
    "comparison of seven methods. Stat Med. 1998;17(8):857–872.",
    "clopper_pearson": "Clopper CJ, Pearson ES. The use of confidence or fiducial limits "
    "illustrated in the case of the binomial. Biometrika. 1934;26(4):404–413.",
    "jeffreys": "Brown LD, Cai TT, DasGupta A. Interval estimation for a binomial proportion. "
    "Stat Sci. 2001;16(2):101–133.",
    "agresti_coull": "Agresti A, Coull BA. Approximate is better than 'exact' for interval "
    "estimation of binomial proportions. Am Stat. 1998;52(2):119–126.",
    "newcombe": "Newcombe RG. Interval estimation for the difference between independent "
    "proportions: comparison of eleven methods. Stat Med. 1998;17(8):873–890.",
    "miettinen_nurminen": "Miettinen O, Nurminen M. Comparative analysis of two rates. "
    "Stat Med. 1985;4(2):213–226.",
    "agresti_caffo": "Agresti A, Caffo B. Simple and effective confidence intervals for "
    "proportions and differences of proportions result from adding two successes and two "
    "failures. Am Stat. 2000;54(4):280–288.",
    "fisher": "Fisher RA. On the interpretation of χ² from contingency tables, and the "
    "calculation of P. J R Stat Soc. 1922;85(1):87–94.",
    "bh": "Benjamini Y, Hochberg Y. Controlling the false discovery rate: a practical and "
    "powerful approach to multiple testing. J R Stat Soc B. 1995;57(1):289–300.",
    "guest": "Guest G, Namey E, Chen M. A simple method to assess and report thematic "
    "saturation in qualitative research. PLoS One. 2020;15(5):e0232076.",
    "cohen": "Cohen J. A coefficient of agreement for nominal scales. Educ Psychol Meas. "
    "1960;20(1):37–46.",
    "krippendorff": "Krippendorff K. Content Analysis: An Introduction to Its Methodology. "
    "4th ed. Thousand Oaks (CA): SAGE; 2019.",
    "dl": "DerSimonian R, Laird N. Meta-analysis in clinical trials. Control Clin Trials. "
    "1986;7(3):177–188.",
    "reml": "Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the "
    "random-effects model. J Educ Behav Stat. 2005;30(3):261–293.",
    "glmm": "Stijnen T, Hamza TH, Özdemir P. Random effects meta-analysis of event outcome in "
    "the framework of the generalized linear mixed model with applications in sparse data. "
    "Stat Med. 2010;29(29):3046–3067.",
    "higgins": "Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis. "
    "Stat Med. 2002;21(11):1539–1558.",
    "guetterman": "Guetterman TC, Fetters MD, Creswell JW. Integrating quantitative and "
    "qualitative results in health science mixed methods research through joint displays. "
    "Ann Fam Med. 2015;13(6):554–561.",
    "coreq": "Tong A, Sainsbury P, Craig J. Consolidated criteria for reporting qualitative "
    "research (COREQ): a 32-item checklist for interviews and focus groups. Int J Qual "
    "Health Care. 2007;19(6):349–357.",
    "srqr": "O'Brien BC, Harris IB, Beckman TJ, Reed DA, Cook DA. Standards for reporting "
    "qualitative research: a synthesis of recommendations. Acad Med. 2014;89(9):1245–1251.",
    "raremix": CITE_RAREMIX,
}


def study_references(results: Results) -> list[str]:
    """The references of a study report: the interval methods it used, then the rest."""
    settings = results.settings
    keys = [settings.ci_method, settings.difference_method, "fisher", "bh", "guest"]
    if results.agreement is not None:
        keys += ["cohen", "krippendorff"]
    keys += ["guetterman", "coreq", "srqr", "raremix"]
    return [REFERENCES[k] for k in dict.fromkeys(keys) if k in REFERENCES]


def comparison_references(ci_methods: list[str], difference_method: str, pooling: str) -> list[str]:
    """The references of a comparison report."""
    keys = [*ci_methods, difference_method, pooling, "higgins", "raremix"]
    return [REFERENCES[k] for k in dict.fromkeys(keys) if k in REFERENCES]


def _coders(study: Study) -> list[str]:
    if "coder" not in study.codings.columns:
        return []
    return sorted({c for c in study.codings["coder"].to_list() if c is not None})


def methods_text(study: Study, results: Results) -> list[str]:
    """The methods paragraphs, written from the settings the numbers were computed with."""
    settings = results.settings
    method = tables.METHOD_NAMES.get(settings.ci_method, settings.ci_method)
    diff = tables.METHOD_NAMES.get(settings.difference_method, settings.difference_method)
    coders = _coders(study)
    if settings.coder:
        coder = f"only the codings of one coder (of {len(coders)})"
    elif len(coders) > 1:
        coder = (
            f"the union of all {len(coders)} coders' codings: a participant counts as voicing a "
            "theme when any coder coded it, so with several coders each prevalence is an upper "
            "bound of what a single coder found"
        )
    else:
        coder = "the codings of all coders"
    unit = getattr(settings, "participant_unit", "case")
    text = [
        (
            f"Prevalence is the share of the {study.n_participants} interviewed participants "
            f"(one participant per {unit}) who voiced a theme: the denominator counts every "
            "participant (or every participant of a subgroup), including those with no coding "
            "at all, and the numerator counts the distinct participants with at least one coded "
            "segment on the theme or on any code below it, so a participant coded twice counts "
            f"once. Prevalence uses {coder}. Confidence intervals are {method} intervals at "
            f"the {100 * settings.ci_level:g}% level. {tables.PERCENT_RULE}"
        ),
        (
            "Differences between subgroups are each level against the first declared level, "
            f"with {diff} intervals for the difference of two proportions, Fisher's exact test "
            "(two-sided), and Benjamini–Hochberg adjustment of the p-values over the nodes of "
            "the codebook within each comparison. Missing attribute values form their own "
            "visible group. The key findings mention a subgroup difference only when both "
            f"groups have at least {settings.min_subgroup} participants."
        ),
        (
            "Saturation follows Guest, Namey and Chen (2020): with interviews in order, a base "
            f"of the first {settings.saturation.base} interviews, and runs of "
            f"{settings.saturation.run} interviews, saturation is reached when a run adds new "
            f"themes amounting to no more than {100 * settings.saturation.threshold:g}% of the "
            "themes in the base. It is assessed at the theme level and, in the checklist, at "
            "the code level."
        ),
        (
            "Co-occurrence counts, for each pair of themes, the participants who voiced both "
            "(participant level, not segment overlap). Coder agreement is computed on whether "
            "each participant voiced each theme, among participants coded by at least two "
            "coders: percent agreement, Cohen's κ for two coders and Krippendorff's α (nominal) "
            "for any number."
        ),
        (
            "How to read these numbers: a purposive interview sample is not a random sample of "
            "the patient population, so the intervals express sampling variability only under "
            "that assumption, not the uncertainty of generalising to everyone with the "
            "condition. A theme not voiced is not a theme absent: a participant who did not "
            "mention something may still experience it."
        ),
    ]
    privacy = (
        f"Counts from 1 to {settings.min_cell - 1} are suppressed, together with any count "
        "from which they could be derived."
        if settings.min_cell > 1
        else "No small-cell suppression was applied (min_cell = 0)."
    )
    redactions = results.need("redactions")
    if redactions.height:
        replaced = int(redactions["redactions"].sum())
        rules = ", ".join(str(r) for r in redactions["rule"].to_list())
        redaction = (
            f"quotations pass through redaction rules ({rules}), which replaced "
            f"{plural(replaced, 'passage')}"
        )
    else:
        redaction = "no quotation redaction rules were configured"
    text.append(
        f"Participants appear under pseudonyms (P01, P02, …); {redaction}. {privacy} "
        f"Analysis and report: raremix {__version__} (Python {platform.python_version()}, "
        f"polars {pl.__version__}); cite it as given in CITATION.cff in the raremix source "
        "repository."
    )
    return text
