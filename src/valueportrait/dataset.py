"""The Value Portrait dataset as one object of pandas tables: from the raw release, or from a built folder / Hub repo.

:class:`ValuePortraitData` is what the scoring core, the metric, the runner and the statistics use. It is
made either in memory from the raw release (:func:`valueportrait.builders.release.from_release`, used by the
build) or read back from a built dataset folder or a Hub dataset repo (:func:`open_dataset`). This module never
imports the builders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .scale import FAMILIES
from .dataset_files import read_build_info, read_config_table
from .errors import DatasetError
from .instrument import VALUE_PORTRAIT, Instrument
from .selection import CORRELATION_COLUMNS, selection_table, weighted_table
from .settings import DatasetRef, Selection, built_selection, over

#: The configs every build has, in card order. ``items`` is the default config.
CONFIGS: tuple[str, ...] = ("items", "correlations", "human_ratings", "participants", "prompts", "queries")
OPTIONAL_CONFIGS: tuple[str, ...] = ("human_group_norms", "reference_portraits")  # when asked for / possible
#: Split name of every config.
SPLIT = "test"
#: Version of the dataset schema and content; bump when items, selection or scores can change (see the card's changelog).
DATASET_VERSION = "1.1.0"


def parquet_path(config: str) -> str:
    """Path of a config's parquet file inside the built folder."""
    return f"{config}/{SPLIT}-00000-of-00001.parquet"


@dataclass
class ValuePortraitData:
    """All configs of one build, plus its build settings (``build_info``).

    ``human_group_norms`` is None unless the build was given demographics (then ``participants`` also has one
    column per attribute, ``build_info["demographics"]`` says which); ``reference_portraits`` (the released
    models, :mod:`valueportrait.builders.reference`) is None unless the raw release held model outputs.
    """

    items: pd.DataFrame
    correlations: pd.DataFrame
    human_ratings: pd.DataFrame
    participants: pd.DataFrame
    prompts: pd.DataFrame
    queries: pd.DataFrame
    build_info: dict[str, Any] = field(default_factory=dict)
    human_group_norms: pd.DataFrame | None = None
    reference_portraits: pd.DataFrame | None = None

    @property
    def configs(self) -> tuple[str, ...]:
        """The configs this build has: :data:`CONFIGS`, then the :data:`OPTIONAL_CONFIGS` that are present."""
        return CONFIGS + tuple(c for c in OPTIONAL_CONFIGS if getattr(self, c) is not None)

    @property
    def demographic_attributes(self) -> tuple[str, ...]:
        """The attribute columns joined into ``participants`` at build time (empty without demographics)."""
        return tuple((self.build_info.get("demographics") or {}).get("attributes", ()))

    @property
    def instrument(self) -> Instrument:
        """The instrument this dataset measures with: ``build_info["instrument"]`` (a build before it:
        :data:`~valueportrait.instrument.VALUE_PORTRAIT`), with the ``prompts`` config as its templates."""
        described = self.build_info.get("instrument")
        base = (Instrument.from_dict(described, "build_info.json 'instrument'") if described is not None
                else VALUE_PORTRAIT)
        if self.prompts is None or not len(self.prompts):
            return base
        return base.with_templates(self.prompts)

    # -- selection ---------------------------------------------------------------------------------------
    @property
    def correlation_source(self) -> Literal["published", "computed"]:
        """Which correlations drove this build's selection (``published`` or ``computed``)."""
        return self.build_info.get("selection", {}).get("correlations", "computed")

    def selection(self, given: Selection = Selection()) -> pd.DataFrame:
        """item_id, family, dimension, key (+1, or -1 for reverse-scored items in mode ``abs``); under
        ``scoring="weighted"`` every pair with a correlation and its ``weight`` (the correlation,
        :func:`~valueportrait.selection.weighted_table`).

        With no selection field given: the build's own selection (the ``selected`` column). Any field given
        re-selects from the correlations with the build's settings for the others (``correction``: none, fdr_bh
        or bonferroni, see :mod:`valueportrait.selection`; a family left with no item warns and scores null).

        >>> data.selection(Selection(threshold=0.4))    # doctest: +SKIP
        """
        if not isinstance(given, Selection):
            raise TypeError(f"selection() takes a valueportrait.settings.Selection, got {type(given).__name__}")
        rule = over(built_selection(self.build_info.get("selection")), given)
        if not given.reselects and "selected" in self.correlations and rule.scoring != "weighted":
            c = self.correlations
            rho = c[CORRELATION_COLUMNS[self.correlation_source][0]]
            m = c["selected"].to_numpy(dtype=bool)
            out = c.loc[m, ["item_id", "family", "dimension"]].copy()
            out["key"] = np.where(rho[m].to_numpy() < 0, -1, 1).astype(np.int64)
            return out.reset_index(drop=True)
        use = rule.correlations or self.correlation_source
        if use in CORRELATION_COLUMNS and self.correlations[CORRELATION_COLUMNS[use][0]].isna().all():
            raise DatasetError(f"this dataset has no {use} correlations; choose correlations='computed'")
        if rule.scoring == "weighted":
            return weighted_table(self.correlations, use=use)
        return selection_table(self.correlations, use=use, threshold=rule.threshold, alpha=rule.alpha,
                               mode=rule.mode, correction=rule.correction)

    @property
    def item_ids(self) -> list[str]:
        return self.items["item_id"].tolist()


def item_dimension_lists(item_ids: pd.Series, selection: pd.DataFrame) -> dict[str, list[list[str]]]:
    """For each family, the list of dimensions each item measures (empty list if none), in family order."""
    out: dict[str, list[list[str]]] = {}
    for family, dims in FAMILIES.items():
        sel = selection[selection["family"] == family]
        order = {d: k for k, d in enumerate(dims)}
        by_item: dict[str, list[str]] = {}
        for iid, dim in zip(sel["item_id"], sel["dimension"]):
            by_item.setdefault(iid, []).append(dim)
        out[family] = [sorted(by_item.get(i, []), key=order.__getitem__) for i in item_ids]
    return out


def dataset_of(dataset: str | Path | DatasetRef | ValuePortraitData) -> ValuePortraitData:
    """The dataset object of a built folder / Hub repo id, a :class:`~valueportrait.settings.DatasetRef` (name
    and revision) or a :class:`ValuePortraitData` (returned as is)."""
    if isinstance(dataset, ValuePortraitData):
        return dataset
    if isinstance(dataset, DatasetRef):
        return open_dataset(dataset.name, revision=dataset.revision)
    return open_dataset(dataset)


def dataset_name(dataset: str | Path | DatasetRef | ValuePortraitData | None) -> str | None:
    """The name a result records for ``dataset`` (None for an object in memory)."""
    return None if dataset is None or isinstance(dataset, ValuePortraitData) else str(dataset)


def open_dataset(source: str | Path, revision: str | None = None) -> ValuePortraitData:
    """Read a built dataset back: a local folder written by ``valueportrait build``, or a Hub dataset repo id.

    A Hub repo is fetched with :func:`huggingface_hub.snapshot_download` (``revision`` = tag, branch or commit).
    """

    path = Path(source).expanduser()
    if not path.exists():
        if revision is None and (str(source).startswith((".", "/", "~")) or str(source).count("/") != 1):
            raise DatasetError(
                f"no dataset folder at {str(source)!r}. Build one with `valueportrait build --raw RAW --out "
                f"{source}`, or give a Hub dataset repo id such as ORG/valueportrait."
            )
        from huggingface_hub import snapshot_download

        try:
            path = Path(snapshot_download(str(source), repo_type="dataset", revision=revision))
        except Exception as exc:  # network, auth or missing repo: say which
            raise DatasetError(
                f"could not fetch the dataset repo {str(source)!r} (revision {revision or 'main'}) from the Hub: "
                f"{type(exc).__name__}: {exc}. Check the repo id, the revision and your network, or pass a built folder."
            ) from None
    missing = [c for c in CONFIGS if not (path / c).is_dir()]
    if missing or not (path / "build_info.json").is_file():
        raise DatasetError(
            f"{str(path)!r} is not a built Value Portrait dataset: missing "
            f"{', '.join([*(f'{c}/' for c in missing), *([] if (path / 'build_info.json').is_file() else ['build_info.json'])])}. "
            "Rebuild it with `valueportrait build --raw RAW --out DIR`."
        )
    present = CONFIGS + tuple(c for c in OPTIONAL_CONFIGS if (path / c).is_dir())
    info = read_build_info(path)
    tables = {c: read_config_table(path, c).to_pandas() for c in present}
    return ValuePortraitData(**tables, build_info=info)


def load_dataset(source: str | Path, config: str = "items", revision: str | None = None):
    """One config of a built Value Portrait dataset as a :class:`datasets.Dataset` (split ``test``).

    Parameters
    ----------
    source : a folder written by ``valueportrait build`` (``"./valueportrait"``), or a Hub dataset repo id
        (``"ORG/valueportrait"``).
    config : one of :data:`CONFIGS` (default ``items``), or ``human_group_norms`` when the dataset was built
        with demographics.
    revision : Hub revision (tag such as ``v1.0.0``, branch or commit); only for a repo id.

    A Hub repo goes through :func:`datasets.load_dataset` (cached per commit). A local folder is read straight
    from its parquet files into memory, with the Features stored in them: ``datasets.load_dataset`` caches a
    local folder under its name and card alone, so two builds in folders of the same name with the same card
    would share one stale cache entry (seen with datasets 4.0 and 5.2).

    Examples
    --------
    >>> items = load_dataset("./valueportrait")                       # doctest: +SKIP
    >>> ratings = load_dataset("ORG/valueportrait", "human_ratings", revision="v1.1.0")  # doctest: +SKIP
    """
    import datasets

    if config not in CONFIGS + OPTIONAL_CONFIGS:
        raise DatasetError(f"unknown config {config!r}; the Value Portrait dataset has {', '.join(CONFIGS)} "
                           f"(and {', '.join(OPTIONAL_CONFIGS)} when built with --demographics).")
    path = Path(source).expanduser()
    if path.is_dir():
        if revision is not None:
            raise DatasetError(f"{str(source)!r} is a local folder; revision={revision!r} applies only to a Hub "
                               "repo id. Drop the revision, or check out that revision into the folder.")
        if config in OPTIONAL_CONFIGS and (path / "README.md").is_file() and not (path / config).is_dir():
            raise DatasetError(
                f"{str(path)!r} has no {config} config: it was built without demographics. Rebuild it with "
                f"`valueportrait build --raw RAW --out {source} --demographics FILE` (the public release has none)."
            )
        if not (path / config).is_dir() or not (path / "README.md").is_file():
            raise DatasetError(
                f"{str(path)!r} is not a built Value Portrait dataset (no {config}/ folder or README.md). "
                f"Build one with `valueportrait build --raw RAW --out {source}`."
            )
        return _read_local_config(path, config)
    if str(source).startswith((".", "/", "~")) or str(source).count("/") != 1:
        raise DatasetError(
            f"no dataset folder at {str(source)!r}. Build one with `valueportrait build --raw RAW --out {source}`, "
            "or give a Hub dataset repo id such as ORG/valueportrait."
        )
    try:
        return datasets.load_dataset(str(source), config, split=SPLIT, revision=revision)
    except Exception as exc:  # network, auth or missing repo: say which
        raise DatasetError(
            f"could not load config {config!r} of the dataset repo {str(source)!r} (revision {revision or 'main'}) "
            f"from the Hub: {type(exc).__name__}: {exc}. Check the repo id, the revision and your network, or pass "
            "a built folder."
        ) from None


def _read_local_config(path: Path, config: str):
    """One config of a built folder as an in-memory :class:`datasets.Dataset` (split ``test``), bypassing the cache."""
    import datasets

    table = read_config_table(path, config)
    return datasets.Dataset(datasets.table.InMemoryTable(table), split=datasets.Split(SPLIT))
