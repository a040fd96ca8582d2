"""The dataset card (README.md) of a survey build, made from its instrument: name, version, language, licence,
citation, the families and dimensions, the selection and its validity figures.

The YAML front matter is a :class:`huggingface_hub.DatasetCardData` as for a Value Portrait build
(:func:`valueportrait.builders.card.card_data`: configs with their data files, ``dataset_info`` from the
builder); the body is plain Markdown written here from the build's own numbers (no dates, no paths: two builds
give the same bytes).
"""

from __future__ import annotations

from valueportrait.dataset import SPLIT, ValuePortraitData, parquet_path
from valueportrait.texttable import markdown_table

from .card import size_category
from .report import validity_sentences, validity_table


def survey_card_data(data: ValuePortraitData, infos: dict | None = None):
    """The card's YAML metadata: the instrument's language and licence, its name, the configs."""
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    inst = data.build_info["instrument"]
    version = data.build_info["dataset_version"]
    configs = [{"config_name": c, "version": version, "data_files": [{"split": SPLIT, "path": parquet_path(c)}],
                **({"default": True} if c == "items" else {})} for c in data.configs]
    cd = DatasetCardData(
        language=[inst["language"].split("-")[0]],
        license=inst.get("licence") or "other",
        pretty_name=inst["name"],
        annotations_creators=["crowdsourced"],
        multilinguality=["monolingual"],
        size_categories=[size_category(sum(len(getattr(data, c)) for c in data.configs))],
        task_categories=["text-generation"],
        tags=["values", "psychometrics", "survey", "llm-evaluation", "valueportrait"],
        configs=configs,
    )
    if infos:
        DatasetInfosDict({c: infos[c] for c in data.configs if c in infos}).to_dataset_card_data(cd)
    return cd


def render_survey_card(data: ValuePortraitData, infos: dict | None = None) -> str:
    """The full card text (front matter + body) of a survey build."""
    info = data.build_info
    inst, survey, sel = info["instrument"], info["survey"], info["selection"]
    scale = inst["scale"]
    counts = data.selection().groupby(["family", "dimension"]).size()
    dims = []
    for fam in inst["families"]:
        labels = fam.get("labels") or [d.replace("_", " ") for d in fam["dimensions"]]
        dims += [(fam["title"], f"`{d}`", label, int(counts.get((fam["key"], d), 0)))
                 for d, label in zip(fam["dimensions"], labels)]
    rows = markdown_table(["config", "rows"], [(f"`{c}`", len(getattr(data, c))) for c in data.configs], "lr")
    phrases = ", ".join(f"{scale['min'] + k} = \"{p}\"" for k, p in enumerate(scale["phrases"]))
    val = validity_table(info)
    body = [
        f"# {inst['name']} {info.get('version_label') or info['dataset_version']}",
        "",
        f"A values benchmark built with valueportrait (the Value Portrait method, Han et al., ACL 2025, "
        f"[arXiv:2505.01015](https://arxiv.org/abs/2505.01015)) from the survey "
        f"`{survey['folder']}` ({survey['raters']} raters, {survey['ratings']:,} ratings of {survey['items']} items, "
        f"{len(survey['groups'])} survey group(s)), language `{inst['language']}`. People rated how much each "
        f"response is like them; an item measures a dimension when its ratings correlate with the raters' "
        f"questionnaire scores on it (Spearman rho > {sel['threshold']}, p < {sel['alpha']}, mode {sel['mode']}, "
        f"correction {sel['correction']}, scoring {sel['scoring']}). Models rate the same items in the prompts "
        "config's templates.",
        "",
        f"Scale: {phrases} (\"like me\" end: {scale['like_me']}). Variants: "
        f"{', '.join(v['name'] + (' (options reversed)' if v['reversed'] else '') for v in inst['variants'])}.",
        "",
        "## Configs (split `test`)",
        "",
        rows,
        "",
        "## Dimensions and selected items",
        "",
        markdown_table(["family", "dimension", "label", "items"], dims, "lllr"),
        "",
        "## How far to trust these scores",
        "",
        *[f"- {line}" for line in validity_sentences(info) or []],
        "",
        *([] if val is None else [markdown_table(list(val.columns), val.itertuples(index=False),
                                                 "ll" + "r" * (len(val.columns) - 3) + "l"), ""]),
        "## Licence and citation",
        "",
        f"Licence: {inst.get('licence') or 'not given'}." + (f" Source: {inst['url']}" if inst.get("url") else ""),
        "",
        "```",
        (inst.get("citation") or "No citation given.").strip(),
        "```",
        "",
        "## Inputs",
        "",
        markdown_table(["file", "sha256"], [(f"`{f}`", f"`{h}`") for f, h in info["inputs"].items()], "ll"),
        "",
    ]
    return f"---\n{survey_card_data(data, infos).to_yaml()}\n---\n\n" + "\n".join(body)


__all__ = ["render_survey_card", "survey_card_data"]
