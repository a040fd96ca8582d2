"""The Value Portrait dataset as a ``datasets`` builder: its configs, their Features, version and citation.

Six configs are always there; ``human_group_norms`` and string attribute columns in ``participants`` only when
the build was given demographics (``valueportrait build --demographics FILE``); ``reference_portraits`` only when
the raw release holds upstream's model outputs.

Since datasets 4, ``load_dataset`` no longer runs dataset scripts, so the published dataset is a no-code
folder of parquet files. This builder is what writes them: ``valueportrait build`` instantiates it once per
config and calls :meth:`datasets.DatasetBuilder.download_and_prepare` with ``file_format="parquet"``, then
lays the files out as the Hub expects (see :mod:`valueportrait.builders.build`). Every table is cast to the
declared :data:`FEATURES`, so a column that changes type fails the build instead of silently changing the
published schema.

The builder can also be used on its own::

    >>> from valueportrait.dataset_script.valueportrait import ValuePortrait   # doctest: +SKIP
    >>> b = ValuePortrait(config_name="items", raw="../shared/upstream")        # doctest: +SKIP
    >>> b.download_and_prepare("/tmp/vp-items", file_format="parquet")          # doctest: +SKIP

The tables themselves come from the pure builders in :mod:`valueportrait.builders` (through
:func:`valueportrait.builders.release.from_release`); this module only declares and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import datasets
import pyarrow as pa

from valueportrait.citation import CITATION
from valueportrait.dataset import CONFIGS, DATASET_VERSION, OPTIONAL_CONFIGS, SPLIT, ValuePortraitData
from valueportrait.schema import SCHEMAS, schema_for, survey_families
from valueportrait.scale import FAMILIES
from valueportrait.settings import Build, Selection

_HOMEPAGE = "https://github.com/holi-lab/ValuePortrait"
_LICENSE = "mit"


DESCRIPTION = """\
Value Portrait (Han et al., ACL 2025) measures the values and personality a language model expresses. Each of
its 520 items is a real user query (Reddit, Dear Abby, ShareGPT, LMSYS) with one candidate response; a model
rates how much the response is "like me" on a 6-point scale. An item measures a Schwartz value (PVQ-21, 10
basic + 4 higher-order) or a Big Five trait (BFI-10) when, among the 559 human raters of the main survey, its
ratings correlate with the raters' own questionnaire scores (Spearman rho > 0.3, p < 0.05).
"""

#: One-line description of each config (shown in the card).
CONFIG_DESCRIPTIONS: dict[str, str] = {
    "items": "The 520 items (query + response) with, per family, the dimensions each item measures. Default config.",
    "correlations": "Spearman rho / p / n of every item x dimension pair (520 x 19), computed here and as published.",
    "human_ratings": "Every rating of the main survey: 559 raters in 12 survey groups, 24,320 ratings on a 1-6 scale.",
    "participants": "Each rater's survey group(s) and questionnaire scores (PVQ-21 ipsatized, higher-order, BFI-10).",
    "prompts": "The 6 prompt variants x 2 templates used to ask models, text exactly as released.",
    "queries": "The 104 queries with their source, topic categories and source metadata.",
    "human_group_norms": "Per demographic attribute x group x dimension: the group's portrait on the benchmark's "
                         "scale (rater-bootstrap CI) and its questionnaire means. Only in builds given demographics.",
    "reference_portraits": "The released models (upstream's outputs in the raw release) and the human raters, scored "
                           "with this build's selection: per model x dimension the centred score, its interval, "
                           "reliability and coverage. Only in builds whose raw release holds lm_evaluation/outputs.",
}

_STR = datasets.Value("string")

#: The declared schema of every config (from :data:`valueportrait.schema.SCHEMAS`); the build casts each table to it.
FEATURES: dict[str, datasets.Features] = {c: datasets.Features.from_arrow_schema(s) for c, s in SCHEMAS.items()}


def features_for(data: ValuePortraitData | None, config: str) -> datasets.Features:
    """The Features of ``config`` in this build: :data:`FEATURES`, with ``participants`` gaining one string
    column per demographic attribute when the build has demographics (``data.demographic_attributes``)."""
    families = survey_families(data.build_info) if data is not None else None
    features = FEATURES[config] if families is None else datasets.Features.from_arrow_schema(schema_for(config, families))
    attributes = data.demographic_attributes if data is not None else ()
    if config == "participants" and attributes:
        return datasets.Features({**features, **{a: _STR for a in attributes}})
    return features


@dataclass
class ValuePortraitConfig(datasets.BuilderConfig):
    """One config of the dataset, holding the build settings: ``build`` is a
    :class:`~valueportrait.settings.Build`.

    Every field of :class:`~valueportrait.settings.Build` and of its :class:`~valueportrait.settings.Selection`
    is also an attribute of the config (``config.correction``, ``config.raw``, ...), so ``datasets`` passes
    them by name (``ValuePortrait(config_name="items", raw=..., correction="fdr_bh")``); setting one makes a new
    ``build`` (checked, as every settings object is).
    """

    build: Build = field(default_factory=Build)


def _build_field(name: str) -> property:
    def get(self: ValuePortraitConfig) -> Any:
        return getattr(self.build, name)

    def put(self: ValuePortraitConfig, value: Any) -> None:
        self.build = replace(self.build, **{name: value})

    return property(get, put, doc=f"``build.{name}``")


def _selection_field(name: str) -> property:
    def get(self: ValuePortraitConfig) -> Any:
        return getattr(self.build.selection, name)

    def put(self: ValuePortraitConfig, value: Any) -> None:
        self.build = replace(self.build, selection=replace(self.build.selection, **{name: value}))

    return property(get, put, doc=f"``build.selection.{name}``")


for _f in fields(Build):
    if _f.name != "selection":
        setattr(ValuePortraitConfig, _f.name, _build_field(_f.name))
for _f in fields(Selection):
    setattr(ValuePortraitConfig, _f.name, _selection_field(_f.name))


class ValuePortrait(datasets.ArrowBasedBuilder):
    """Builder of the Value Portrait dataset (one split, ``test``, per config).

    Pass ``data=`` (a :class:`~valueportrait.dataset.ValuePortraitData`) to write tables already built in
    memory, so that the 6 configs of one build share one read of the release; otherwise the tables are built
    from ``raw`` with the config's selection settings.
    """

    VERSION = datasets.Version(DATASET_VERSION)
    BUILDER_CONFIG_CLASS = ValuePortraitConfig
    BUILDER_CONFIGS = [
        ValuePortraitConfig(name=name, version=datasets.Version(DATASET_VERSION), description=CONFIG_DESCRIPTIONS[name])
        for name in CONFIGS + OPTIONAL_CONFIGS
    ]
    DEFAULT_CONFIG_NAME = "items"

    def __init__(self, *args: Any, data: ValuePortraitData | None = None, **kwargs: Any) -> None:
        self._data = data
        super().__init__(*args, **kwargs)

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=DESCRIPTION,
            version=self.config.version,
            features=features_for(self.data if self.config.build.survey is not None else self._data, self.config.name),
            homepage=_HOMEPAGE,
            license=_LICENSE,
            citation=CITATION,
        )

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        return [datasets.SplitGenerator(name=SPLIT, gen_kwargs={})]

    def _generate_tables(self):
        yield 0, table_for(self.data, self.config.name)

    @property
    def data(self) -> ValuePortraitData:
        """The tables of this build (built from ``raw`` on first use when none were given)."""
        if self._data is None:
            from valueportrait.builders.assemble import build_tables

            self._data = build_tables(self.config.build)
        return self._data


def table_for(data: ValuePortraitData, config: str) -> pa.Table:
    """The Arrow table of ``config``, cast to its declared Features (:func:`features_for`; column order included).

    Raises ``ValueError`` (from pyarrow) when a column cannot be cast, and ``KeyError`` naming a missing column
    (or an optional config this build does not have).
    """
    features = features_for(data, config)
    df = getattr(data, config)
    if df is None:
        raise KeyError(f"this build has no {config!r} config (human_group_norms is made only with demographics: "
                       "valueportrait build --demographics FILE; reference_portraits only from a raw release "
                       "with lm_evaluation/outputs)")
    missing = [c for c in features if c not in df.columns]
    if missing:
        raise KeyError(f"config {config!r} lacks column(s) {missing}; expected {list(features)}")
    schema = features.arrow_schema
    # Object columns may hold NaN for missing strings (pandas 3 str dtype); from_pandas maps them to null.
    return pa.Table.from_pandas(df[list(features)], schema=schema, preserve_index=False)


#: What each field of each config holds (rendered into the card's field tables).
FIELD_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "items": {
        "item_id": 'Item id `"{query_id}-{response_id}"`, e.g. `"1008-1"`.',
        "query_id": "Upstream `portrait_id` of the query (first digit: 1 Reddit, 2 Dear Abby, 3 ShareGPT, 4 LMSYS).",
        "response_id": "Candidate response number, 1-5.",
        "source": "Where the query comes from: `Reddit` (AITA), `DearAbby`, `ShareGPT` or `LMSYS`.",
        "template": "Prompt template the item is asked with: `reddit` (Reddit, Dear Abby) or `sharegpt` (ShareGPT, LMSYS).",
        "title": "Title of the query (Reddit and Dear Abby; null for ShareGPT and LMSYS).",
        "text": "The query text.",
        "response": "The candidate response a model rates.",
        "categories": "Topic categories of the query (upstream `query_categorized.json`).",
        "pvq": "The basic Schwartz values (PVQ-21) this item measures under this build's selection rule.",
        "higher_pvq": "The higher-order values this item measures.",
        "bfi": "The Big Five traits (BFI-10) this item measures.",
    },
    "correlations": {
        "item_id": "Item id.",
        "family": "`pvq`, `higher_pvq` or `bfi`.",
        "dimension": "Value or trait, upstream spelling (e.g. `Self_Direction`, `Openness_to_Change`).",
        "rho": "Spearman rho between the item's ratings and the raters' scores on the dimension, computed in this build.",
        "p_value": "Two-sided p-value of `rho` (t approximation, as `scipy.stats.spearmanr`).",
        "n": "Number of raters (the item's survey group).",
        "selected": "Whether the item measures the dimension under this build's rule (see below).",
        "rho_published": "Rho in upstream's `data/correlation_results` (null if absent).",
        "p_value_published": "P-value in upstream's `data/correlation_results` (null if absent).",
    },
    "human_ratings": {
        "participant_id": "Prolific participant id as released (e.g. `P001`).",
        "survey_group": "Survey group 1-12 (order of `survey.json`); each group rated its own items.",
        "item_id": "Item id.",
        "rating": "How much the response is like the rater: 1 (not like me at all) to 6 (very much like me).",
    },
    "participants": {
        "participant_id": "Prolific participant id.",
        "survey_groups": "Survey group(s) the participant rated in (P186 is in two).",
        **{f"pvq_{d}": f"PVQ-21 score on {d} (ipsatized, as released)." for d in FAMILIES["pvq"]},
        **{f"higher_pvq_{d}": f"Higher-order value score on {d}." for d in FAMILIES["higher_pvq"]},
        **{f"bfi_{d}": f"BFI-10 score on {d}." for d in FAMILIES["bfi"]},
    },
    "prompts": {
        "variant": "`v1`, `v2`, `v3` (three wordings) and their `_reversed` forms (options listed 1 to 6 instead of 6 to 1).",
        "template": "`reddit` or `sharegpt`.",
        "text": "The prompt exactly as released, with `{title}`, `{text}` and `{content}` (the response) placeholders.",
    },
    "queries": {
        "query_id": "Upstream `portrait_id`.",
        "source": "`Reddit`, `DearAbby`, `ShareGPT` or `LMSYS`.",
        "template": "`reddit` or `sharegpt`.",
        "title": "Title (null for ShareGPT and LMSYS).",
        "text": "The query text.",
        "categories": "Topic categories.",
        "source_metadata": "Upstream's `extra` record without `portrait_id`, as a JSON string (`{}` for the 8 queries found only in the tagged file).",
        "statistics": "Upstream's `statistics` record as a JSON string.",
    },
    "human_group_norms": {
        "attribute": "Demographic attribute, as named at build time (e.g. `sex`, `age`).",
        "group": "Group label of the attribute (e.g. `Female`, `30-44`).",
        "family": "`pvq`, `higher_pvq` or `bfi`.",
        "dimension": "Value or trait, upstream spelling.",
        "n_raters": "Members of the group who rated items in the main survey.",
        "score": "The group's portrait: its members' item ratings averaged per item and scored like a model's "
                 "(dimension mean minus family mean over the selected items).",
        "score_ci_low": "Lower end of the percentile CI of `score` (bootstrap over raters, within survey groups).",
        "score_ci_high": "Upper end of that CI.",
        "raw_mean": "Mean item rating of the dimension's selected items, before centring.",
        "n_items": "Rated items of the dimension.",
        "instrument_mean": "Mean of the members' questionnaire scores on the dimension (`participants` column "
                           "`<family>_<dimension>`).",
        "instrument_sd": "Sample sd (ddof 1) of those scores.",
        "instrument_n": "Members with a questionnaire score.",
        "note": "Why values are missing (e.g. fewer than 5 raters), else null.",
    },
    "reference_portraits": {
        "model": "Model id as upstream's output files spell it, or `human raters`.",
        "family": "`pvq`, `higher_pvq` or `bfi`.",
        "dimension": "Value or trait, upstream spelling.",
        "score": "Centred score (dimension mean minus family mean over the build's selected items), as "
                 "`valueportrait score` gives it; upstream's raw answers re-parsed.",
        "ci_low": "Lower end of the interval of `score`.",
        "ci_high": "Upper end of that interval.",
        "ci_over": "What the interval resamples (`variants` for models, raters for the humans).",
        "ci_method": "How the interval is computed (e.g. `t-analytic`, `bootstrap-percentile`).",
        "n_items": "Rated items of the dimension.",
        "reliable": "Whether the model's profile is reproducible across prompt variants (null for the humans).",
        "profile_reliability": "Profile reliability over the variant splits (null for the humans).",
        "coverage_share": "Share of the benchmark's requests the model rated (null for the humans).",
        "partial": "Whether the model rated fewer requests than the full benchmark (null for the humans).",
    },
}


def field_descriptions(data: ValuePortraitData | None, config: str) -> dict[str, str]:
    """:data:`FIELD_DESCRIPTIONS` of ``config``, plus the demographic attribute columns of ``participants``."""
    out = FIELD_DESCRIPTIONS[config]
    if config == "participants" and data is not None and data.demographic_attributes:
        out = {**out, **{a: f"Demographic attribute `{a}` (joined at build time; null when unknown)."
                         for a in data.demographic_attributes}}
    return out


def feature_type(feature: object) -> str:
    """Short type name of a feature for the card: ``string``, ``int64``, ``list[string]``..."""
    if isinstance(feature, datasets.Value):
        return feature.dtype
    if isinstance(feature, (datasets.List, datasets.LargeList)):
        return f"list[{feature_type(feature.feature)}]"
    return type(feature).__name__
