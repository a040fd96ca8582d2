"""Render the dataset card (README.md of the built folder) from the template in ``valueportrait/cards``.

The YAML front matter is a :class:`huggingface_hub.DatasetCardData` (license, pretty_name, task_categories,
tags, size_categories, ``configs`` with each config's data_files, and ``dataset_info`` from the builder's
:class:`datasets.DatasetInfo`), the body is ``cards/dataset_card.md.j2`` rendered with jinja2 through
:meth:`huggingface_hub.DatasetCard.from_template`. Every table in the body is made here from the build's own
numbers; nothing in the card depends on the time or the machine, so two builds give the same bytes.

The card's Changelog section is rendered from ``cards/CHANGELOG.md`` (its entries, newest first, read by
:func:`valueportrait.changelog.read_changelog`), the same file ``valueportrait publish`` requires an entry in:
the changelog has one source.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from valueportrait.builders import raw_release
from valueportrait.builders.pinned import modified_note
from valueportrait.builders.report import (
    cross_check_table,
    items_per_dimension,
    items_per_family,
    reliability_table,
    validity_sentences,
    validity_table,
)
from valueportrait.changelog import ChangelogEntry, read_changelog
from valueportrait.texttable import markdown_table
from valueportrait.dataset import DATASET_VERSION, SPLIT, ValuePortraitData, parquet_path
from valueportrait.scale import FAMILY_TITLES
from valueportrait.selection import CORRELATION_COLUMNS
from valueportrait.settings import Selection

TEMPLATE = "dataset_card.md.j2"

#: The paper on arXiv: the card's ``arxiv:`` tag links the dataset to the Hub's paper page.
ARXIV_ID = "2505.01015"
#: Tags of the card (Hub search).
TAGS = ["values", "personality", "psychometrics", "schwartz-values", "big-five", "llm-evaluation", "survey",
        f"arxiv:{ARXIV_ID}"]
#: The Hub's size categories (datasets' utils/resources/size_categories.json, less "unknown"): the upper bound of
#: each, exclusive, and its name.
SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10**7, "1M<n<10M"), (10**8, "10M<n<100M"), (10**9, "100M<n<1B"), (10**10, "1B<n<10B"),
                   (10**11, "10B<n<100B"), (10**12, "100B<n<1T")]


def size_category(n_rows: int) -> str:
    """The Hub's size category of a dataset of ``n_rows`` rows, e.g. ``size_category(35395) == "10K<n<100K"``."""
    return next((name for bound, name in SIZE_CATEGORIES if n_rows < bound), "n>1T")


def card_data(data: ValuePortraitData, infos: dict | None = None):
    """The card's YAML metadata as a :class:`huggingface_hub.DatasetCardData`.

    ``infos`` maps config -> :class:`datasets.DatasetInfo` as written by the builder (adds ``dataset_info``).
    """
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    configs = []
    for config in data.configs:
        # version: datasets gives each config's BuilderConfig (so load_dataset(...).info.version) this number
        entry = {"config_name": config, "version": str(data.build_info.get("dataset_version") or DATASET_VERSION),
                 "data_files": [{"split": SPLIT, "path": parquet_path(config)}]}
        if config == "items":
            entry["default"] = True
        configs.append(entry)
    cd = DatasetCardData(
        language=["en"],
        license="mit",
        pretty_name=card_title(data),
        annotations_creators=["crowdsourced"],
        language_creators=["found"],
        multilinguality=["monolingual"],
        size_categories=[size_category(sum(len(getattr(data, c)) for c in data.configs))],  # rows of all configs
        source_datasets=["original"],
        task_categories=["text-generation"],
        tags=TAGS,
        configs=configs,
    )
    if infos:
        # as datasets writes it: per config its features, splits and sizes; the fields every config shares
        # (description, citation, homepage, licence, version) are said once: the licence and the version in the
        # YAML above (``license``, each config's ``version``), the description and the citation in the card's body
        DatasetInfosDict({c: infos[c] for c in data.configs if c in infos}).to_dataset_card_data(cd)
    return cd


def card_title(data: ValuePortraitData) -> str:
    """'Value Portrait', or with the custom-selection label when the build's selection is not the paper's."""
    from valueportrait.selection import version_label

    info = data.build_info
    label = version_label(info["dataset_version"], info.get("selection") or {})
    return "Value Portrait" + label.removeprefix(info["dataset_version"])


def render_card(data: ValuePortraitData, infos: dict | None = None,
                changelog: list[ChangelogEntry] | str | Path | None = None) -> str:
    """The full card text (front matter + body).

    ``changelog``: the entries to show (:func:`read_changelog`), or a changelog file; default the package's.
    """
    from huggingface_hub import DatasetCard

    from valueportrait.dataset_script.valueportrait import (
        CITATION,
        DESCRIPTION,
        CONFIG_DESCRIPTIONS,
        feature_type,
        features_for,
        field_descriptions,
    )

    info = data.build_info
    version = info["dataset_version"]
    if not isinstance(changelog, list):
        changelog = read_changelog(changelog, version)
    template = resources.files("valueportrait.cards").joinpath(TEMPLATE).read_text(encoding="utf-8")
    configs = data.configs
    fields = {
        c: markdown_table(["field", "type", "description"],
                          [(f"`{name}`", f"`{feature_type(feat)}`", field_descriptions(data, c)[name])
                           for name, feat in features_for(data, c).items()])
        for c in configs
    }
    config_rows = markdown_table(["config", "rows", "what it holds"],
                                 [(f"`{c}`", len(getattr(data, c)), CONFIG_DESCRIPTIONS[c]) for c in configs], "lrl")
    per_dim = items_per_dimension(data)
    dims_table = markdown_table(["family", "dimension", "items"],
                                [(FAMILY_TITLES[r.family], f"`{r.dimension}`", r.items) for r in per_dim.itertuples()],
                                "llr")
    per_fam = items_per_family(data)
    fam_table = markdown_table(["family", "selected item x dimension pairs", "distinct items"],
                               [(FAMILY_TITLES[r.family], r.pairs, r.items) for r in per_fam.itertuples()], "lrr")
    sel = info["selection"]
    comparison = _selection_comparison(data)
    check = info.get("cross_check")
    check_table = cross_check_table(info)
    rel = reliability_table(info)
    val = validity_table(info)
    return DatasetCard.from_template(
        card_data(data, infos),
        template_str=template,
        version=version,
        title=card_title(data),
        version_label=info.get("version_label") or version,
        description=DESCRIPTION.strip(),
        citation=CITATION.strip(),
        arxiv_id=ARXIV_ID,
        configs=configs,
        config_table=config_rows,
        fields=fields,
        n_items=len(data.items),
        n_raters=len(data.participants),
        n_ratings=len(data.human_ratings),
        n_groups=int(data.human_ratings["survey_group"].nunique()),
        selection=sel,
        near_misses=_near_misses(data),
        n_pairs=len(data.correlations),
        n_min=int(data.correlations["n"].min()),
        n_max=int(data.correlations["n"].max()),
        selected_items=int(data.selection()["item_id"].nunique()),
        dims_table=dims_table,
        fam_table=fam_table,
        comparison=comparison,
        check=check,
        check_table=None if check_table is None else markdown_table(
            ["family", "published pairs", f"equal to {check['tolerance']:g}", "max abs diff rho", "max abs diff p"],
            check_table.itertuples(index=False), "lrrrr"),
        multi_group=", ".join(f"{p} (groups {', '.join(map(str, g))})"
                              for p, g in (check or {}).get("multi_group_participants", {}).items()),
        reliability=info.get("reliability"),
        reliability_table=None if rel is None else markdown_table(
            ["family", "dimension", "items", "usable groups", "median alpha", "mean alpha", "min", "max"],
            [(r.family, f"`{r.dimension}`", r.items, r.groups_usable, r.alpha_median, r.alpha_mean, r.alpha_min,
              r.alpha_max) for r in rel.itertuples()], "llrrrrrr"),
        validity=validity_sentences(info),
        validity_splits=(info.get("validity") or {}).get("n_splits"),
        validity_table=None if val is None else markdown_table(
            list(val.columns),
            [(r[0], f"`{r[1]}`", *r[2:]) for r in val.itertuples(index=False)], "l" * 2 + "r" * 12 + "l"),
        upstream=info["upstream"],
        modified_release=modified_note(info["modified_release"]) if info.get("modified_release") else None,
        inputs=info["inputs"],
        upstream_repo=raw_release.UPSTREAM_REPO,
        demographics=info.get("demographics"),
        groups_table=_groups_table(data),
        changelog=changelog,
    ).content


def _groups_table(data: ValuePortraitData) -> str | None:
    """Markdown table of the demographic groups: attribute, group, raters, whether it has norms (None without)."""
    demo = data.build_info.get("demographics")
    if not demo:
        return None
    min_raters = demo.get("norms", {}).get("min_raters", 0)
    rows = [(f"`{a}`", g, n, "yes" if n >= min_raters else f"no (fewer than {min_raters} raters)")
            for a in demo["attributes"] for g, n in demo["groups"][a].items()]
    return markdown_table(["attribute", "group", "raters", "norms"], rows, "llrl")


def _selection_comparison(data: ValuePortraitData) -> dict | None:
    """How many pairs the build's rule selects on the published and on the computed correlations, and how many
    differ (None when the release has no published tables)."""
    if data.correlations["rho_published"].isna().all():
        return None
    pub = data.selection(Selection(correlations="published"))
    com = data.selection(Selection(correlations="computed"))
    key = ["item_id", "family", "dimension"]
    both = pub.merge(com, on=key, how="outer", indicator=True)
    return {
        "published": len(pub),
        "computed": len(com),
        "only_published": int((both["_merge"] == "left_only").sum()),
        "only_computed": int((both["_merge"] == "right_only").sum()),
    }



def _near_misses(data: ValuePortraitData) -> list[str]:
    """Pairs (``"item_id Dimension"``) with rho above the build's threshold but p not below its alpha."""
    sel = data.build_info["selection"]
    c = data.correlations
    rho, p = (c[col] for col in CORRELATION_COLUMNS[sel["correlations"]])
    strong = rho.abs() > sel["threshold"] if sel["mode"] == "abs" else rho > sel["threshold"]
    miss = c[strong & (p >= sel["alpha"])]
    return [f"{i} {d}" for i, d in zip(miss["item_id"], miss["dimension"])]
