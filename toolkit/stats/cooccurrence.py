"""Co-occurrence of codebook nodes: in the same participant, and in overlapping segments.

Participant level: for two nodes A and B at one depth of the codebook (by default the themes,
depth 1, when the codebook has that depth), how many participants voiced both (a coding on
the node or any descendant counts, as in prevalence), and the Jaccard index
|A ∩ B| / |A ∪ B|. The diagonal (A, A) holds each node's own participant count x.

Segment level: two coded segments co-occur when they come from the same source, were coded
by the same coder (or both without a coder), and their character spans [start, end) overlap.
Each segment counts for the node at the chosen depth above its code; codes shallower than
that depth have no node there and are left out.

Both frames list ordered pairs (A, B) and (B, A), so they pivot directly into a symmetric
matrix. Up to :data:`DENSE_NODES` nodes they list *every* ordered pair (zeros included: the
report's heatmap and small tables read them whole). Above it they are sparse: only pairs
that co-occur (``participants_both`` > 0, or ``overlapping_pairs`` > 0), plus, at participant
level, the diagonal of every node; a missing pair means zero. 6,400 nodes densely would be
41 million rows; sparsely the frame grows with what co-occurs.

Participant pairs come from a sparse participants × nodes matrix product (scipy.sparse), and
overlapping segments from a sweep over each source's segments sorted by start (no
self-join), so memory grows with the pairs found, not with nodes² or segments².
"""

from __future__ import annotations

import numpy as np
import polars as pl

from toolkit.errors import UsageError
from toolkit.model import Study

#: Up to this many nodes both frames list every ordered pair; above it, only co-occurring ones.
DENSE_NODES = 200

PARTICIPANT_COLUMNS = (
    "code_a",
    "label_a",
    "code_b",
    "label_b",
    "depth",
    "participants_a",
    "participants_b",
    "participants_both",
    "participants_either",
    "jaccard",
    "denominator",
    "suppressed",
)
SEGMENT_COLUMNS = (
    "code_a",
    "label_a",
    "code_b",
    "label_b",
    "depth",
    "segments_a",
    "segments_b",
    "overlapping_pairs",
    "sources",
    "participants",
    "suppressed",
)


def _node_pairs(nodes: pl.DataFrame) -> pl.DataFrame:
    """Every ordered pair of nodes: ``code_a, label_a, _oa, code_b, label_b, _ob``."""

    def side(suffix: str, order: str) -> pl.DataFrame:
        return nodes.select(
            pl.col("code_id").alias(f"code_{suffix}"),
            pl.col("label").alias(f"label_{suffix}"),
            pl.col("order").alias(order),
        )

    return side("a", "_oa").join(side("b", "_ob"), how="cross")


def analysis_codings(study: Study, coder: str | None = None) -> pl.DataFrame:
    """The codings an analysis uses: all of them, or those of ``coder`` when given."""
    codings = study.codings
    if coder is None:
        return codings
    if "coder" not in codings.columns:
        raise UsageError(f"analysis.coder is '{coder}' but the codings have no 'coder' column")
    chosen = codings.filter(pl.col("coder") == coder)
    if chosen.height == 0:
        known = (
            ", ".join(sorted(codings.get_column("coder").drop_nulls().unique().to_list())) or "none"
        )
        raise UsageError(
            f"analysis.coder is '{coder}' but no coding has that coder; coders: {known}"
        )
    return chosen


def resolve_depth(study: Study, depth: int | None) -> tuple[pl.DataFrame, int]:
    """The codebook nodes at ``depth`` (default 1 when the codebook has it, else 0).

    Returns:
        ``(frame code_id, label, order; depth)`` in codebook preorder.

    Raises:
        UsageError: a depth the codebook does not have.
    """
    from toolkit.stats.hierarchy import tree_order

    order = tree_order(study.codebook)
    deepest = int(order.get_column("depth").cast(pl.Int64).max() or 0)  # type: ignore[arg-type]
    if depth is None:
        depth = 1 if deepest >= 1 else 0
    if not 0 <= depth <= deepest:
        raise UsageError(
            f"depth {depth} is not in the codebook: its depths run from 0 (roots) to {deepest}"
        )
    nodes = order.filter(pl.col("depth") == depth).select("code_id", "label", "order")
    return nodes, depth


def rolled_codings(study: Study, nodes: pl.DataFrame, codings: pl.DataFrame) -> pl.DataFrame:
    """Codings with ``node``: the ancestor (or self) of the coded code among ``nodes``.

    One walk down the codebook in preorder links each code to its nearest ancestor among
    ``nodes`` (and that one to the next), so the work is the size of the codebook plus the
    pairs made, never the full ancestor closure (a 10,000-level chain has 5·10^7 pairs).
    """
    from toolkit.stats.hierarchy import tree_order

    wanted = set(nodes.get_column("code_id").to_list())
    order = tree_order(study.codebook)
    nearest: dict[str, str | None] = {}
    above: dict[str, str | None] = {}
    for code, parent in zip(order["code_id"].to_list(), order["parent_id"].to_list(), strict=True):
        up = None if parent is None else nearest.get(parent)
        if code in wanted:
            above[code] = up
            up = code
        nearest[code] = up
    left: list[str] = []
    right: list[str] = []
    for code, node in nearest.items():
        while node is not None:
            left.append(code)
            right.append(node)
            node = above[node]
    pairs = pl.DataFrame(
        {"code_id": left, "node": right}, schema={"code_id": pl.String, "node": pl.String}
    )
    return codings.join(pairs, on="code_id")


def participant_cooccurrence(
    study: Study, *, depth: int | None = None, coder: str | None = None
) -> pl.DataFrame:
    """How many participants voiced both of two nodes at one depth of the codebook.

    Args:
        study: a loaded study.
        depth: codebook depth of the nodes compared (0 = roots); default 1 (themes) when the
            codebook is that deep, else 0.
        coder: use only this coder's codings (None: every coding).

    Returns:
        One row per ordered pair of nodes (the diagonal included; above
        :data:`DENSE_NODES` nodes only the pairs voiced together and the diagonal), columns

        - ``code_a``, ``label_a``, ``code_b``, ``label_b``: the pair; ``depth``.
        - ``participants_a``, ``participants_b``: participants who voiced each (x).
        - ``participants_both``: voiced both; on the diagonal equal to x.
        - ``participants_either``: voiced at least one of the two.
        - ``jaccard``: both / either (null when neither was voiced).
        - ``denominator``: participants in the study (n).
        - ``suppressed``: false here (raw counts); the disclosure gate sets it.

    Raises:
        UsageError: a depth the codebook does not have.
    """
    nodes, depth = resolve_depth(study, depth)
    voiced = (
        rolled_codings(study, nodes, analysis_codings(study, coder))
        .select("participant_id", "node")
        .unique()
    )
    counts = voiced.group_by("node").agg(pl.len().cast(pl.Int64).alias("x"))
    both = _participant_pairs(voiced, nodes)
    dense = nodes.height <= DENSE_NODES
    if dense:
        pairs = _node_pairs(nodes).join(both, on=["code_a", "code_b"], how="left")
    else:
        diagonal = nodes.select(
            pl.col("code_id").alias("code_a"), pl.col("code_id").alias("code_b")
        ).join(both, on=["code_a", "code_b"], how="left")
        off = both.filter(pl.col("code_a") != pl.col("code_b"))
        pairs = _labelled(pl.concat([diagonal, off]), nodes)
    frame = (
        pairs.join(
            counts.rename({"node": "code_a", "x": "participants_a"}), on="code_a", how="left"
        )
        .join(counts.rename({"node": "code_b", "x": "participants_b"}), on="code_b", how="left")
        .with_columns(pl.col("participants_a", "participants_b", "participants_both").fill_null(0))
        .with_columns(
            (
                pl.col("participants_a") + pl.col("participants_b") - pl.col("participants_both")
            ).alias("participants_either")
        )
        .with_columns(
            pl.when(pl.col("participants_either") > 0)
            .then(pl.col("participants_both") / pl.col("participants_either"))
            .otherwise(None)
            .alias("jaccard"),
            pl.lit(depth, dtype=pl.Int64).alias("depth"),
            pl.lit(study.n_participants, dtype=pl.Int64).alias("denominator"),
        )
        .sort("_oa", "_ob")
    )
    return frame.with_columns(pl.lit(False).alias("suppressed")).select(PARTICIPANT_COLUMNS)


def _labelled(pairs: pl.DataFrame, nodes: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` (``code_a, code_b, …``) with each side's label and preorder position."""

    def side(suffix: str, order: str) -> pl.DataFrame:
        return nodes.select(
            pl.col("code_id").alias(f"code_{suffix}"),
            pl.col("label").alias(f"label_{suffix}"),
            pl.col("order").alias(order),
        )

    return pairs.join(side("a", "_oa"), on="code_a").join(side("b", "_ob"), on="code_b")


def _participant_pairs(voiced: pl.DataFrame, nodes: pl.DataFrame) -> pl.DataFrame:
    """``code_a, code_b, participants_both`` for every ordered pair voiced together (the
    diagonal included), from the sparse product Mᵀ M of the participants × nodes matrix M."""
    from scipy import sparse

    codes = nodes.get_column("code_id")
    node = voiced.get_column("node").cast(pl.Enum(codes.unique(maintain_order=True)))
    columns = node.to_physical().to_numpy().astype(np.int64)
    rows = voiced.get_column("participant_id").rank("dense").to_numpy().astype(np.int64) - 1
    n_rows = int(rows.max()) + 1 if rows.size else 0
    matrix = sparse.csr_matrix(
        (np.ones(rows.size, dtype=np.int64), (rows, columns)), shape=(n_rows, codes.len())
    )
    product = (matrix.T @ matrix).tocoo()
    names = codes.to_numpy()
    return pl.DataFrame(
        {
            "code_a": pl.Series(names[product.row], dtype=pl.String),
            "code_b": pl.Series(names[product.col], dtype=pl.String),
            "participants_both": pl.Series(product.data, dtype=pl.Int64),
        }
    )


def segment_cooccurrence(
    study: Study, *, depth: int | None = None, coder: str | None = None
) -> pl.DataFrame:
    """How often segments of two nodes overlap within one source (same coder).

    Args:
        study: a loaded study whose codings carry ``source``, ``start`` and ``end``.
        depth: as for :func:`participant_cooccurrence`.
        coder: use only this coder's codings (None: every coding).

    Returns:
        One row per ordered pair of distinct nodes (above :data:`DENSE_NODES` nodes only
        the pairs that overlap), columns

        - ``code_a``, ``label_a``, ``code_b``, ``label_b``, ``depth``.
        - ``segments_a``, ``segments_b``: positioned segments on each node.
        - ``overlapping_pairs``: pairs (segment of A, segment of B) whose spans overlap.
        - ``sources``: distinct sources with at least one such pair.
        - ``participants``: distinct participants with at least one such pair.
        - ``suppressed``: false here (raw counts); the disclosure gate sets it.

    Raises:
        UsageError: no coding has a source with start and end positions, or a bad depth.
    """
    nodes, depth = resolve_depth(study, depth)
    codings = analysis_codings(study, coder)
    missing = [c for c in ("source", "start", "end") if c not in codings.columns]
    positioned = (
        codings.filter(pl.all_horizontal(pl.col("source", "start", "end").is_not_null()))
        if not missing
        else codings.head(0)
    )
    if positioned.height == 0:
        raise UsageError(
            "segment-level co-occurrence needs coded segments with 'source', 'start' and 'end' "
            f"in {study.files.get('codings', 'the codings')}; none has all three. "
            "Use --level participant, or import positions from your QDA project"
        )
    same_coder = pl.col("coder").fill_null("") if "coder" in positioned.columns else pl.lit("")
    segments = (
        positioned.with_row_index("_seg")
        .with_columns(same_coder.alias("_coder"))
        .select("_seg", "participant_id", "code_id", "source", "start", "end", "_coder")
    )
    rolled = rolled_codings(study, nodes, segments)
    per_node = rolled.group_by("node").agg(pl.col("_seg").n_unique().cast(pl.Int64).alias("n"))
    pairs = _overlapping(rolled)
    if nodes.height <= DENSE_NODES:
        frame = _node_pairs(nodes).filter(pl.col("code_a") != pl.col("code_b"))
        frame = frame.join(pairs, on=["code_a", "code_b"], how="left")
    else:
        frame = _labelled(pairs, nodes)
    frame = (
        frame.join(per_node.rename({"node": "code_a", "n": "segments_a"}), on="code_a", how="left")
        .join(per_node.rename({"node": "code_b", "n": "segments_b"}), on="code_b", how="left")
        .with_columns(
            pl.col(
                "segments_a", "segments_b", "overlapping_pairs", "sources", "participants"
            ).fill_null(0),
            pl.lit(depth, dtype=pl.Int64).alias("depth"),
        )
        .sort("_oa", "_ob")
    )
    return frame.with_columns(pl.lit(False).alias("suppressed")).select(SEGMENT_COLUMNS)


def _overlapping(rolled: pl.DataFrame) -> pl.DataFrame:
    """Per ordered pair of distinct nodes: overlapping segment pairs, sources, participants.

    Segments are sorted by (source, coder, start); a segment overlaps the later-starting
    segments of its group that start before it ends, found with one ``searchsorted``, so
    only overlapping pairs are ever made (``participants`` counts the first node's).
    """
    ordered = rolled.with_columns(
        pl.struct("source", "_coder").rank("dense").cast(pl.Int64).alias("_group")
    ).sort("_group", "start", "_seg")
    if ordered.height == 0:
        return pl.DataFrame(
            schema={
                "code_a": pl.String,
                "code_b": pl.String,
                "overlapping_pairs": pl.Int64,
                "sources": pl.Int64,
                "participants": pl.Int64,
            }
        )
    node = ordered.get_column("node")
    first, second = overlap_pairs(
        ordered.get_column("_group").to_numpy(),
        ordered.get_column("start").cast(pl.Int64).to_numpy(),
        ordered.get_column("end").cast(pl.Int64).to_numpy(),
    )
    codes = node.rank("dense").to_numpy()
    keep = codes[first] != codes[second]
    first, second = first[keep], second[keep]
    source = ordered.get_column("source")
    who = ordered.get_column("participant_id")
    both_ways = pl.DataFrame(
        {
            "code_a": pl.concat([node.gather(first), node.gather(second)]),
            "code_b": pl.concat([node.gather(second), node.gather(first)]),
            "source": pl.concat([source.gather(first), source.gather(second)]),
            "participant_id": pl.concat([who.gather(first), who.gather(second)]),
        }
    )
    return both_ways.group_by("code_a", "code_b").agg(
        pl.len().cast(pl.Int64).alias("overlapping_pairs"),
        pl.col("source").n_unique().cast(pl.Int64).alias("sources"),
        pl.col("participant_id").n_unique().cast(pl.Int64).alias("participants"),
    )


def overlap_pairs(
    group: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of spans ``[start, end)`` of one group that overlap, as row indices i < j.

    The rows must be sorted by group, then start. Span i overlaps the later rows of its
    group that start before it ends (one ``searchsorted``), and nothing else is looked at:
    the pairs made are the overlapping ones (and any empty span starting where span i starts,
    dropped), so the work grows with the answer.
    """
    if group.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    low = int(min(start.min(), end.min()))
    span = int(max(start.max(), end.max())) - low + 1
    keys = group.astype(np.int64) * span + (start - low)
    upto = np.searchsorted(keys, group.astype(np.int64) * span + (end - low), side="left")
    index = np.arange(keys.size)
    later = np.maximum(upto - index - 1, 0)
    first = np.repeat(index, later)
    second = first + 1 + np.arange(first.size) - np.repeat(np.cumsum(later) - later, later)
    keep = start[first] < end[second]  # an empty span at another's start overlaps nothing
    return first[keep], second[keep]
