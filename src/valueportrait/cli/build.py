"""``valueportrait build`` and ``valueportrait info``: thin shells over :mod:`valueportrait.builders`."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from valueportrait.builders.raw_release import ENV_VAR, UPSTREAM_COMMIT, UPSTREAM_REPO
from valueportrait.cli.options import demographics_options, intervals_options, out_options, selection_options
from valueportrait.settings import DEFAULT_MIN_RATERS


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
From your own survey (instrument.yaml, items.csv, ratings.csv, scores.csv; docs/your-survey.md):
  valueportrait build --survey examples/survey_de/survey --out ./survey_de

\b
The raw release is {UPSTREAM_REPO} at commit {UPSTREAM_COMMIT[:7]}.
""",
)
@click.option("--survey", "survey", default=None, type=click.Path(path_type=Path), metavar="DIR",
              help="Build from your own survey folder instead of the Value Portrait release: instrument.yaml, "
                   "items.csv, ratings.csv (long), scores.csv (docs/your-survey.md). Takes the selection options; "
                   "not --raw, --demographics, --strict or --allow-partial.")
@click.option("--raw", "raw", default=None, metavar="DIR|ARCHIVE|URL",
              help=f"The upstream release: its folder (holding data/ and lm_evaluation/), an archive of it "
                   f"(.tar.gz/.zip, GitHub's layout) or an http(s) URL of one. Default: ${ENV_VAR}, else GitHub's "
                   f"archive of the pinned commit, or the mirror in $VALUEPORTRAIT_RELEASE_URL (downloaded once into the "
                   f"cache, every file verified by sha256).")
@out_options(required=True, path_type=Path,
             help="Dataset folder to write (parquet per config, build_info.json, README.md card).",
             overwrite_help="Replace an existing --out folder (only once the new build is complete).")
@selection_options(build=True)
@click.option("--allow-partial", is_flag=True,
              help="Build even if the release lacks survey groups or published correlation tables (each is a "
                   "warning, and build_info.json lists them). Default: such a release is an error.")
@click.option("--strict", is_flag=True,
              help="Refuse a release folder whose files differ from the pinned release's sha256 sums. Default: "
                   "build with a warning listing them (build_info.json and the card say the build is not of the "
                   "pinned release).")
@demographics_options(prefix="With --demographics: ", path_type=Path,
                      help="The raters' demographics (CSV/TSV/JSON/JSONL, one row per participant): joined into "
                           "participants, and group norms written as the human_group_norms config.")
@intervals_options(over="raters", prefix="With --demographics: ", what=" over raters for the group norms' CIs")
@click.option("--min-raters", default=DEFAULT_MIN_RATERS, show_default=True, type=click.IntRange(1),
              help="With --demographics: groups with fewer raters get empty norms (a note says why).")
def build(survey: Path | None, raw: Path | None, out: Path, overwrite: bool, selection, allow_partial: bool,
          strict: bool, demographics, intervals, min_raters: int) -> None:
    """Build the Value Portrait dataset folder from the raw upstream release.

    Reads the release, computes the Spearman correlation of every item with every value and trait among
    the human raters, checks them against the published tables, selects the items (rho > THRESHOLD and
    p < ALPHA), computes Cronbach's alpha of the selected items, and writes a Hub-ready dataset folder
    that datasets.load_dataset(OUT, CONFIG) reads offline. Configs: items (default), correlations,
    human_ratings, participants, prompts, queries; with --demographics also human_group_norms (and the
    attribute columns in participants).
    """
    from tqdm.auto import tqdm

    from valueportrait.builders.build import build_dataset
    from valueportrait.settings import Build

    if survey is not None:
        given = [o for o, v in (("--raw", raw), ("--demographics", demographics), ("--strict", strict),
                                ("--allow-partial", allow_partial)) if v]
        if given:
            raise click.UsageError(f"--survey builds from your survey folder; {', '.join(given)} belong(s) to the "
                                   "Value Portrait release. Drop them, or drop --survey")
    settings = Build(raw=raw, selection=selection, demographics=demographics, norms=intervals, min_raters=min_raters,
                     allow_partial=allow_partial, strict=strict, survey=survey)
    bars = []

    def progress(message: str, done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc="build", unit="step", disable=None, leave=False))
        bars[0].set_postfix_str(message)
        bars[0].update(done - bars[0].n)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data = build_dataset(out, settings, overwrite=overwrite, progress=progress)
        finally:
            for bar in bars:
                bar.close()
            for w in caught:  # also when the build stopped: e.g. what the output-folder check cleaned up
                if issubclass(w.category, UserWarning):
                    click.echo(f"Warning: {w.message}", err=True)
    click.echo(f"Built {title_of(data.build_info)} {data.build_info.get('version_label') or data.build_info['dataset_version']} "
               f"into {out}")
    click.echo(summary(data, sections=("settings", "families", "dimensions", "validity", "cross_check",
                                       "demographics")))
    click.echo(f"\nLoad it from any folder with: datasets.load_dataset({str(Path(out).absolute())!r}, 'items') "
               "(a bare name such as 'valueportrait' is looked up on the Hub unless that folder is in the current one)")


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
    click.echo(f"{title_of(data.build_info)} {data.build_info.get('dataset_version', '?')} at {dataset}")
    click.echo(summary(data, sections=("settings", "rows", "families", "dimensions", "validity", "cross_check",
                                       "demographics", "reference")))


def title_of(build_info: dict) -> str:
    """What a build measures with: its instrument's name (a survey build), else Value Portrait."""
    return (build_info.get("instrument") or {}).get("name", "Value Portrait") if "survey" in build_info \
        else "Value Portrait"


def summary(data, sections: tuple[str, ...]) -> str:
    """The readable text tables the two commands print (pure: returns the text)."""
    from valueportrait.builders.report import (
        cross_check_table,
        items_per_dimension,
        items_per_family,
        reliability_table,
        validity_sentences,
        validity_table,
    )
    from valueportrait.texttable import text_table
    info = data.build_info
    out: list[str] = []
    if "settings" in sections:
        s = info.get("selection", {})
        out.append(f"Selection: {s.get('correlations')} correlations, rho > {s.get('threshold')} and "
                   f"p < {s.get('alpha')}, mode {s.get('mode')}, correction {s.get('correction', 'none')}"
                   + (f", scoring {s['scoring']}" if s.get("scoring", "threshold") != "threshold" else ""))
        survey = info.get("survey")
        if survey:
            sections = tuple(x for x in sections if x not in ("cross_check", "demographics"))
            out.append(f"Survey: {survey['folder']}, {survey['raters']} raters in {len(survey['groups'])} group(s), "
                       f"{survey['ratings']:,} ratings of {survey['items']} items; instrument "
                       f"{info['instrument']['name']} {info['instrument']['version']} ({info['instrument']['language']})")
        else:
            up = info.get("upstream", {})
            out.append(f"Upstream: {up.get('repository')} @ {str(up.get('commit'))[:7]}")
        if info.get("modified_release"):
            from valueportrait.builders.pinned import modified_note

            out.append(f"Warning: {modified_note(info['modified_release'])}")
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
        out.append("\nHow far to trust these scores: false positives, chance per dimension, replication, convergent "
                   "and held-out validity, reliability (build_info.json 'validity'; "
                   f"{'docs/your-survey.md' if info.get('survey') else 'docs/validity.md'})")
        out += [f"- {line}" for line in validity_sentences(info)]
        table = validity_table(info)
        out.append(text_table(list(table.columns), table.itertuples(index=False),
                              "l" * 2 + "r" * (len(table.columns) - 3) + "l"))
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
    ref = info.get("reference_portraits") or {}
    if "reference" in sections and ref:
        fp = ref.get("outputs") or {}
        out.append(f"\nReference portraits: {len(ref.get('models', []))} released models and the human raters, "
                   f"scored from {ref.get('source')}"
                   + (f": {fp['n_files']} files, {fp['bytes'] / 1e6:.1f} MB, sha256 {fp['sha256']} (each file's in "
                      "build_info.json 'reference_portraits.outputs')" if fp else " (no fingerprint: an older build)"))
    return "\n".join(out)
