"""Value Portrait: a language model's ratings of real-life scenario items -> its Schwartz values and Big Five."""

import datasets
import evaluate

from valueportrait.citation import CITATION
from valueportrait.evaluation import evaluate_ratings
from valueportrait.metric_inputs import metric_predictions, metric_references, metric_settings

_CITATION = CITATION

_DESCRIPTION = """\
Value Portrait (Han et al., ACL 2025) asks a model how much each of 520 real-life query-response items is
"like me" (6-point scale). Items were rated by 559 people whose Schwartz values (PVQ-21) and Big Five (BFI-10)
were measured; an item measures a dimension when its ratings correlate with it (rho > 0.3, p < 0.05). A
model's score for a dimension is the mean rating of that dimension's items minus the mean over all items of
the family (a correction for scale use): 10 basic values, 4 higher-order values, 5 Big Five traits.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `float` or `str`): ratings 1-6, or free-text answers such as "somewhat like me"
        (read with valueportrait.parse_likert; unparseable text counts as missing). All numbers or all strings.
    references (`list` of `str`): item ids like "1008-1", one per prediction. Several ratings of an item are averaged.
    dataset (`str`): built dataset folder or Hub dataset repo id; may be given to `evaluate.load` instead.
    revision (`str`, optional): Hub revision of the dataset.
    variants (`list` of `str`, optional): prompt-variant label per prediction, one of v1, v1_reversed, v2,
        v2_reversed, v3, v3_reversed (adds `prompt_sensitivity`).
    personas (`list` of `str`, optional): persona / group label per prediction (adds one portrait per persona).
    persona_groups (`dict`, optional): {persona: "attribute=group"}, e.g. {"a woman": "sex=Female"}: adds
        `deviation`, each persona's portrait vs its human group's. Personas labelled "attribute=group" need no entry.
    norms (DataFrame, `list` of `dict` or path, optional): human group norms (columns attribute, group, family,
        dimension, score[, score_ci_low, score_ci_high, n_raters]); default: the dataset's own demographics.
    deviation (`bool`, default False): add `deviation` without persona_groups / norms.
    human (`str`, optional): "raters" (default) or "norms" (the dataset's stored human_group_norms config).
    n_perm (`int`, default 1000), min_raters (`int`, default 5), norms_confidence (`float`, default 0.95).
    threshold, alpha, mode, correlations, correction (optional): re-select the items (default: the dataset's
        selection); correction: none (the paper's rule), fdr_bh or bonferroni within each family.
    scoring (optional): ``threshold`` (the paper's: weight 1 for each selected item) or ``weighted`` (every item
        weighted by its correlation with the dimension; better on held-out raters, docs/validity.md).
    center (`bool`, default True), min_items (`int`, default 1), confidence (`float`, default 0.95).
    ci_over (`str`, default "variants"): the unit of the intervals: "variants", "items" or "items+variants".
    n_boot (`int`, default 1000), seed (`int`, default 0): the deviation statistics' bootstrap.
    duplicates (`str`, default "error"): an (item, variant[, persona]) rated twice is an error; "first" keeps the
        first rating, "mean" averages them (counted in counts["duplicates"]).
Returns:
    scores: {family: {dimension: {score, raw_mean, std, n, ci_low, ci_high, ci_over, ci_method, note}}} for pvq,
        higher_pvq, bfi.
    family_means: {family: mean rating over the family's items}.
    counts: {ratings, ratings_used, ratings_ignored, missing_or_unparseable, not_measuring, items_rated, items_used,
        duplicates (ratings of an (item, variant[, persona]) already rated, removed by the duplicates policy)}.
    coverage: {rated, requests, share, partial, short_dimensions} (requests: items x variants x personas given).
    settings: the dataset and selection used. prompt_sensitivity, reliability (verdict, profile_reliability
        over the 10 variant splits and its permutation p, reliable, profile_sd, profile_se, flat, order bias and
        order_bias_flag, ICC, profile split-half; "not assessable" without all 6 variants), personas ({persona:
        scores, family_means, counts, coverage}, the same interval as scores): None unless labels are given.
    deviation: None unless asked for; else {source, human, settings, attributes: {attribute: {groups: {group:
        {persona, n_raters, note, dimensions, agreement, distribution}}, gaps: [...], bias: {family: {...}}}}}.
Examples:
    >>> import evaluate, valueportrait
    >>> metric = evaluate.load(valueportrait.metric_path(), dataset=DATASET)
    >>> ids = metric.item_ids()
    >>> result = metric.compute(predictions=["somewhat like me"] * len(ids), references=ids, n_boot=0)
    >>> result["scores"]["pvq"]["Benevolence"]["score"]
    0.0
    >>> result["counts"]["ratings_used"] == result["counts"]["items_used"]
    True
    >>> result["deviation"] is None
    True
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Valueportrait(evaluate.Metric):
    """The Value Portrait metric: a thin shell over ``valueportrait.evaluation.evaluate_ratings``."""

    def __init__(self, dataset=None, revision=None, **kwargs):
        self.dataset = dataset
        self.revision = revision
        self._data = None
        super().__init__(**kwargs)

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            # One text feature: evaluate would pick a type from the first prediction only (a float feature turns
            # True into 1.0 and fails on ["5", "like me"]); metric_predictions writes numbers as exact text and
            # evaluate_ratings reads numbers and phrases alike.
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
            homepage="https://github.com/holi-lab/ValuePortrait",
            codebase_urls=["https://github.com/holi-lab/ValuePortrait"],
        )

    def _dataset(self, dataset=None, revision=None):
        from valueportrait.metric_inputs import load_data

        if dataset is not None and (dataset, revision) != (self.dataset, self.revision):
            return load_data(dataset, revision)
        if self._data is None:
            self._data = load_data(self.dataset, self.revision)
        return self._data

    def add_batch(self, *, predictions=None, references=None, **kwargs):
        """Add a batch; predictions pass through ``metric_predictions`` first (a list with text is read as text,
        booleans are refused), before evaluate's features cast them by their first element."""
        return super().add_batch(predictions=metric_predictions(predictions), references=metric_references(references),
                                 **kwargs)

    def add(self, *, prediction=None, reference=None, **kwargs):
        """Add one prediction (as text, see ``metric_predictions``; a boolean is refused: it is not a rating)."""
        (prediction,) = metric_predictions([prediction], what="prediction")
        (reference,) = metric_references([reference])
        return super().add(prediction=prediction, reference=reference, **kwargs)

    def compute(self, *, predictions=None, references=None, **kwargs):
        """Score the predictions (see the inputs description below); an empty list is an error."""
        return super().compute(predictions=metric_predictions(predictions), references=metric_references(references),
                               **kwargs)

    def item_ids(self):
        """All item ids of the dataset, in the dataset's order."""
        return self._dataset().item_ids

    def _compute(self, predictions, references, dataset=None, revision=None, variants=None, personas=None, **kwargs):
        data = self._dataset(dataset, revision)
        result = evaluate_ratings(predictions, references, dataset=data, variants=variants, personas=personas,
                                  **metric_settings(kwargs))
        result["settings"]["dataset"] = str(dataset or self.dataset)
        result["settings"]["revision"] = revision if dataset is not None else self.revision
        return result
