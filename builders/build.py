"""Build the Hub-ready dataset folder from the raw release: parquet per config, build_info.json, the card.

The folder is written into a temporary sibling and renamed into place only when complete, so a failed
build never leaves a half-written folder and never touches an existing one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Literal

import datasets

from valueportrait.dataset import CONFIGS, SPLIT, ValuePortraitData, from_release
from valueportrait.errors import OutputExistsError
from valueportrait.selection import DEFAULT_ALPHA, DEFAULT_THRESHOLD, Mode


def parquet_path(config: str) -> str:
    """Path of a config's parquet file inside the built folder."""
    return f"{config}/{SPLIT}-00000-of-00001.parquet"


def build_dataset(raw: str | Path | None, out: str | Path, *, correlations: Literal["published", "computed"] | None = None,
                  threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA, mode: Mode = "pos",
                  overwrite: bool = False) -> Path:
    """Build the dataset from the raw release into ``out``; return the folder's path."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise OutputExistsError(
            f"the output folder {str(out)!r} exists; pass --overwrite to replace it (it is replaced only once the "
            "new build is complete) or choose another --out."
        )
    data = from_release(raw, correlations=correlations, threshold=threshold, alpha=alpha, mode=mode)
    write_dataset(data, out, overwrite=overwrite)
    return out


def write_dataset(data: ValuePortraitData, out: str | Path, *, overwrite: bool = False) -> None:
    """Write ``data`` as a no-code Hub dataset folder (atomically: temp folder, then rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for config in CONFIGS:
            path = tmp / parquet_path(config)
            path.parent.mkdir(parents=True, exist_ok=True)
            ds = datasets.Dataset.from_pandas(getattr(data, config), preserve_index=False)
            ds.to_parquet(str(path))
        (tmp / "build_info.json").write_text(json.dumps(data.build_info, indent=2, sort_keys=True) + "\n",
                                             encoding="utf-8")
        (tmp / "README.md").write_text(render_card(data), encoding="utf-8")
        if out.exists():
            if not overwrite:
                raise OutputExistsError(f"the output folder {str(out)!r} appeared during the build; nothing was replaced.")
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def render_card(data: ValuePortraitData) -> str:
    """The dataset card: YAML front matter (configs / data_files) and a short description."""
    lines = ["---", "license: mit", "pretty_name: Value Portrait", "configs:"]
    for config in CONFIGS:
        lines += [f"- config_name: {config}", "  data_files:", f"  - split: {SPLIT}", f"    path: {parquet_path(config)}"]
        if config == "items":
            lines.append("  default: true")
    lines += ["---", "", "# Value Portrait", "",
              "Items of the Value Portrait benchmark (Han et al., ACL 2025) with their item-value correlations.", ""]
    return "\n".join(lines)
