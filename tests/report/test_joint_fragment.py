"""The integrated joint display's fragment (issue 12 item 3), compared with a syrupy snapshot.

Per theme: prevalence overall with its per-stratum counts under it, the exemplar quotations
with their attributions, then the negative cases and the meta-inference. Update on purpose
and review the diff: ``pytest tests/report/test_joint_fragment.py --snapshot-update``.
"""

from __future__ import annotations

from syrupy.assertion import SnapshotAssertion

from toolkit.report.qmd import write_qmd
from toolkit.report.spec import JointDisplay, JointRow, Report, Section


def test_joint_display_fragment(snapshot: SnapshotAssertion) -> None:
    rows = (
        JointRow(
            "Pain",
            "13/15 (87%; 95% CI 62–96%)",
            (("I would lie there and count the seconds.", "P07, 18–49, female"),),
            strata=("Active: 5/6", "Remission: 8/9", "Male: suppressed"),
            notes=("Not voiced by: P03, P11.", "Meta-inference: confirms (vivid accounts)."),
        ),
        JointRow("Peer support", "suppressed", (), strata=("Active: suppressed",)),
    )
    report = Report(
        kind="study",
        slug="fragment",
        title="Fragment",
        subtitle="",
        date="2026-01-01",
        synthetic=False,
        version="0",
        sections=(Section("joint-display", "Themes", (JointDisplay("Joint display.", rows),)),),
    )
    text = write_qmd(report)
    part = text[text.index("::: {.joint}") :]
    part = part[: part.index(":::\n", 4) + 4]
    assert part == snapshot
    assert "Remission: 8/9" in part and "Not voiced by: P03, P11." in part
    assert "no quotation" in part and "Male: suppressed" in part
