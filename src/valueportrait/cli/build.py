"""``valueportrait build`` and ``valueportrait info``: thin shells over :mod:`valueportrait.builders`."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import click

from valueportrait.builders.raw_release import ENV_VAR, UPSTREAM_COMMIT, UPSTREAM_REPO
from valueportrait.selection import CORRECTIONS, DEFAULT_ALPHA, DEFAULT_CORRECTION, DEFAULT_THRESHOLD, MODES


@click.command(
    epilog=f"""\b
Example:
  valueportrait build --raw ../shared/upstream --out ./valueportrait
  python -c "import datasets; print(datasets.load_dataset('valueportrait', 'items'))"

\b
With the raters' demographics (not in the public release), e.g. a Prolific export:
  valueportrait build --raw ../shared/upstream --out ./valueportrait \\
      --demographics prolific_export.csv --attribute sex=Sex --attribute age=Age \\
      --bins age=18,30,45,60

\b
The raw release is {UPSTREAM_REPO} at commit {UPSTREAM_COMMIT[:7]}.
""",
)
@click.option("--raw", "raw", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"Folder of the upstream release (the one holding data/ and lm_evaluation/). "
                   f"Default: ${ENV_VAR}.")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="Dataset folder to write (parquet per config, build_info.json, README.md card).")
@click.option("--correlations", type=click.Choice(["published", "computed"]), default=None,
              help="Which correlations drive the item selection. Default: published when the release has the "
                   "published tables (as in the paper), else computed. Both are stored in the dataset.")
@click.option("--threshold", type=float, default=DEFAULT_THRESHOLD, show_default=True,
              help="An item measures a dimension when rho > THRESHOLD ...")
@click.option("--alpha", type=float, default=DEFAULT_ALPHA, show_default=True, help="... and p < ALPHA.")
@click.option("--mode", type=click.Choice(MODES), default="pos", show_default=True,
              help="pos: positively keyed items only (the paper). abs: also rho < -THRESHOLD, reverse scored.")
@click.option("--correction", type=click.Choice(CORRECTIONS), default=DEFAULT_CORRECTION, show_default=True,
              help="Multiple-testing control of the selection within each family: none (the paper's rule), "
                   "fdr_bh (Benjamini-Hochberg adjusted p < ALPHA) or bonferroni. See docs/validity.md.")
@click.option("--overwrite", is_flag=True,
              help="Replace an existing --out folder (only once the new build is complete).")
@click.option("--allow-partial", is_flag=True,
              help="Build even if the release lacks survey groups or published correlation tables (each is a "
                   "warning, and build_info.json lists them). Default: such a release is an error.")
@click.option("--demographics", "demographics", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="The raters' demographics (CSV/TSV/JSON/JSONL, one row per participant): joined into "
                   "participants, and group norms written as the human_group_norms config.")
@click.option("--id-column", default=None,
              help="With --demographics: the participant id column (default: 'participant_id', 'Participant id', "
                   "'PROLIFIC_PID' or 'pid').")
@click.option("--attribute", "attributes", multiple=True, metavar="NAME[=COLUMN]",
              help="With --demographics: an attribute to keep (repeatable); NAME=COLUMN renames a column. "
                   "Default: every column but the id and Prolific's bookkeeping.")
@click.option("--bins", "bins", multiple=True, metavar="NAME=E1,E2,...",
              help="With --demographics: bin a numeric attribute at these edges, e.g. age=18,30,45,60 (repeatable).")
@click.option("--n-boot", default=1000, show_default=True, type=click.IntRange(0),
              help="With --demographics: bootstrap replicates over raters for the group norms' CIs.")
@click.option("--ci", default=0.95, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="With --demographics: level of the group norms' CIs.")
@click.option("--seed", default=0, show_default=True, type=int, help="With --demographics: bootstrap seed.")
@click.option("--min-raters", default=5, show_default=True, type=click.IntRange(1),
              help="With --demographics: groups with fewer raters get empty norms (a note says why).")
def build(raw: Path | None, out: Path, correlations: str | None, threshold: float, alpha: float, mode: str,
          correction: str, overwrite: bool, allow_partial: bool, demographics: Path | None, id_column: str | None,
          attributes: tuple[str, ...], bins: tuple[str, ...], n_boot: int, ci: float, seed: int, min_raters: int) -> None:
    """Build the Value Portrait dataset folder from the raw upstream release.

    Reads the release, computes the Spearman correlation of every item with every value and trait among
    the human raters, checks them against the published tables, selects the items (rho > THRESHOLD and
    p < ALPHA), computes Cronbach's alpha of the selected items, and writes a Hub-ready dataset folder
    that datasets.load_dataset(OUT, CONFIG) reads offline. Configs: items (default), correlations,
    human_ratings, participants, prompts, queries; with --demographics also human_group_norms (and the
    attribute columns in participants).
    """
    from tqdm.auto import tqdm

    from valueportrait.builders.build import attach_demographics, check_output_folder, write_dataset, write_steps
    from valueportrait.dataset import CONFIGS, OPTIONAL_CONFIGS, from_release

    check_output_folder(out, overwrite, inputs=(raw if raw is not None else os.environ.get(ENV_VAR), demographics))
    if not 0 < alpha <= 1:
        raise click.BadParameter(f"must be in (0, 1], got {alpha}", param_hint="--alpha")
    if not 0 <= threshold < 1:
        raise click.BadParameter(f"must be in [0, 1), got {threshold}", param_hint="--threshold")
    given = [name for name, v in (("--id-column", id_column), ("--attribute", attributes), ("--bins", bins)) if v]
    if given and demographics is None:
        raise click.UsageError(f"{', '.join(given)} only apply with --demographics FILE")
    # one step per config written and one for the card (write_dataset), plus the demographics step
    configs = CONFIGS + (OPTIONAL_CONFIGS if demographics is not None else ())
    bar = tqdm(total=write_steps(configs) + (demographics is not None), desc="build", unit="step", disable=None,
               leave=False)

    def step(msg: str) -> None:
        bar.set_postfix_str(msg)
        bar.update(1)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            demo = None
            if demographics is not None:  # read first: a bad file fails before the long part
                from valueportrait.demographics import read_demographics

                demo = read_demographics(demographics, id_column=id_column,
                                         attributes=attribute_mapping(attributes), bins=bin_edges(bins))
            bar.set_postfix_str("reading the raw release")
            data = from_release(raw, correlations=correlations, threshold=threshold, alpha=alpha, mode=mode,
                                correction=correction, allow_partial=allow_partial)
            if demo is not None:
                step("joining the demographics and computing the group norms")
                data = attach_demographics(data, demo, n_boot=n_boot, ci=ci, seed=seed, min_raters=min_raters)
            write_dataset(data, out, overwrite=overwrite, progress=step)
        finally:
            bar.close()
    for w in caught:
        if issubclass(w.category, UserWarning):
            click.echo(f"Warning: {w.message}", err=True)
    click.echo(f"Built Value Portrait {data.build_info['dataset_version']} into {out}")
    click.echo(summary(data, sections=("settings", "families", "dimensions", "validity", "cross_check",
                                       "demographics")))
    click.echo(f"\nLoad it with: datasets.load_dataset({str(out)!r}, 'items')")


def attribute_mapping(values: tuple[str, ...]) -> dict[str, str] | None:
    """``("sex=Sex", "age")`` -> ``{"sex": "Sex", "age": "age"}`` (None when empty: every column)."""
    if not values:
        return None
    out = {}
    for v in values:
        name, _, column = v.partition("=")
        if not name.strip():
            raise click.BadParameter(f"expected NAME or NAME=COLUMN, got {v!r}", param_hint="--attribute")
        out[name.strip()] = (column or name).strip()
    return out


def bin_edges(values: tuple[str, ...]) -> dict[str, list[float]] | None:
    """``("age=18,30,45,60",)`` -> ``{"age": [18.0, 30.0, 45.0, 60.0]}`` (None when empty)."""
    out = {}
    for v in values:
        name, sep, edges = v.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = [float(e) for e in edges.split(",") if e.strip()]
        except ValueError:
            raise click.BadParameter(f"expected NAME=E1,E2,... with numbers, e.g. age=18,30,45,60; got {v!r}",
                                     param_hint="--bins") from None
    return out or None


@click.command(
    epilog="""\b
Example:
  valueportrait info --dataset ./valueportrait
""",
)
@click.option("--dataset", "dataset", required=True,
              help="A dataset folder written by `valueportrait build` (or a Hub dataset repo id).")
@click.option("--revision", default=None, help="Hub revision (tag, branch or commit) when --dataset is a repo id.")
def info(dataset: str, revision: str | None) -> None:
    """Summarise a built dataset: items per dimension, reliability, cross-check.

    Prints the selection settings, how many items measure each value and trait, Cronbach's alpha of the
    selected items (median over survey groups, with range), and how the recomputed correlations compare
    with the published ones.
    """
    from valueportrait.dataset import open_dataset

    data = open_dataset(dataset, revision=revision)
    click.echo(f"Value Portrait {data.build_info.get('dataset_version', '?')} at {dataset}")
    click.echo(summary(data, sections=("settings", "rows", "families", "dimensions", "validity", "cross_check",
                                       "demographics")))


def summary(data, sections: tuple[str, ...]) -> str:
    """The readable text tables the two commands print (pure: returns the text)."""
    from valueportrait.builders.report import (
        cross_check_table,
        items_per_dimension,
        items_per_family,
        reliability_table,
        text_table,
        validity_sentences,
        validity_table,
    )
    info = data.build_info
    out: list[str] = []
    if "settings" in sections:
        s = info.get("selection", {})
        out.append(f"Selection: {s.get('correlations')} correlations, rho > {s.get('threshold')} and "
                   f"p < {s.get('alpha')}, mode {s.get('mode')}, correction {s.get('correction', 'none')}")
        up = info.get("upstream", {})
        out.append(f"Upstream: {up.get('repository')} @ {str(up.get('commit'))[:7]}")
    if "rows" in sections:
        out.append("\nRows per config (split test)")
        out.append(text_table(["config", "rows"], [(c, len(getattr(data, c))) for c in data.configs], "lr"))
    if "families" in sections:
        fam = items_per_family(data)
        out.append(f"\nItems measuring at least one dimension: {data.selection()['item_id'].nunique()} of "
                   f"{len(data.items)}")
        out.append(text_table(["family", "pairs", "items"], fam.itertuples(index=False), "lrr"))
    if "dimensions" in sections:
        dims = items_per_dimension(data)
        rel = reliability_table(info)
        if rel is None:
            out.append("\nItems per dimension")
            out.append(text_table(["family", "dimension", "items"], dims.itertuples(index=False), "llr"))
        else:
            level = info["reliability"].get("ci_level", 0.95)
            out.append(f"\nItems per dimension, and Cronbach's alpha of them within survey groups "
                       f"(groups with >= 2 items; {level:.0%} CIs per group in build_info.json)")
            rows = [(d.family, d.dimension, d.items, r.groups_usable, r.alpha_median, r.alpha_min, r.alpha_max)
                    for d, r in zip(dims.itertuples(), rel.itertuples())]
            out.append(text_table(["family", "dimension", "items", "groups", "alpha median", "min", "max"], rows,
                                  "llrrrrr"))
    if "validity" in sections and validity_sentences(info):
        out.append("\nHow far to trust these scores: false positives, replication, convergent validity, reliability "
                   "(build_info.json 'validity'; docs/validity.md)")
        out += [f"- {line}" for line in validity_sentences(info)]
        out.append(text_table(list(validity_table(info).columns), validity_table(info).itertuples(index=False),
                              "llrrrrrrrl"))
    if "cross_check" in sections:
        check = info.get("cross_check")
        if not check:
            out.append("\nCross-check: the release has no published correlation tables.")
        else:
            table = cross_check_table(info)
            out.append(f"\nCross-check against the published correlations (equal = |diff| <= {check['tolerance']:g} "
                       "for rho and p)")
            out.append(text_table(["family", "pairs", "equal", "max |d rho|", "max |d p|"],
                                  table.itertuples(index=False), "lrrrr"))
            differing = check["differing_survey_groups"]
            out.append(f"Survey groups reproduced exactly: {check['survey_groups'] - len(differing)} of "
                       f"{check['survey_groups']}; differing: {', '.join(map(str, differing)) or 'none'}")
            multi = check.get("multi_group_participants") or {}
            out.append("Participants in more than one survey group: "
                       + (", ".join(f"{p} (groups {', '.join(map(str, g))})" for p, g in multi.items()) or "none"))
    if "demographics" in sections:
        demo = info.get("demographics")
        if not demo:
            out.append("\nDemographics: none (the public release has none; add them with "
                       "`valueportrait build --demographics FILE`).")
        else:
            norms = demo.get("norms", {})
            out.append(f"\nDemographics from {demo['source_file']}: {demo['participants_matched']} of "
                       f"{demo['participants_total']} participants matched; group norms in human_group_norms "
                       f"({norms.get('n_boot')} rater-bootstrap replicates, {norms.get('ci', 0):.0%} CI, seed "
                       f"{norms.get('seed')}; none for groups under {norms.get('min_raters')} raters)")
            rows = [(a, g, n) for a in demo["attributes"] for g, n in demo["groups"][a].items()]
            out.append(text_table(["attribute", "group", "raters"], rows, "llr"))
    return "\n".join(out)
