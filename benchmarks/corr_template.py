"""How much the chat template moves a real model's ratings: `valueportrait run --backend transformers` with
`--chat-template on` (the tokenizer's template; SmolLM2 then inserts its default system prompt) and with
`--chat-template off` (the plain prompt lm-eval scores) on the same items, and the Pearson and Spearman
correlations of the item ratings within each variant (docs/runner.md, "Which paths compute the same thing").

Usage: python benchmarks/corr_template.py --model DIR_OR_GGUF --dataset BUILT_DIR [--items 20] [--out DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--out", help="keep the run directories here (default: a temporary folder)")
    args = ap.parse_args()
    from scipy.stats import pearsonr, spearmanr

    from valueportrait.ratings.runs import read_run_ratings
    from valueportrait.scale import VARIANTS

    with tempfile.TemporaryDirectory() as t:
        root = Path(args.out or t)
        tables = {}
        for template in ("on", "off"):
            out = root / f"template-{template}"
            subprocess.run([str(Path(sys.executable).parent / "valueportrait"), "run", "--dataset", args.dataset,
                            "--model", args.model, "--backend", "transformers", "--chat-template", template,
                            "--dtype", "float32", "--threads", "1", "--limit", str(args.items), "--out", str(out),
                            "--quiet", "--label", f"template-{template}"], check=True)
            tables[template] = read_run_ratings(out).set_index(["variant", "item_id"])["rating"].sort_index()
        on, off = tables["on"], tables["off"]
        print(f"{args.items} items x {len(VARIANTS)} variants; SmolLM2 template on (its default system prompt) vs "
              "off (plain prompt + \"\\n\\nAnswer:\")")
        print("| variant | Pearson r | Spearman rho | mean on | mean off |")
        print("|---|---:|---:|---:|---:|")
        for v in VARIANTS:
            a, b = on.loc[v], off.loc[v].loc[on.loc[v].index]
            print(f"| {v} | {pearsonr(a, b)[0]:.2f} | {spearmanr(a, b)[0]:.2f} | {a.mean():.2f} | {b.mean():.2f} |")
        b = off.loc[on.index]
        print(f"| all | {pearsonr(on, b)[0]:.2f} | {spearmanr(on, b)[0]:.2f} | {on.mean():.2f} | {b.mean():.2f} |")


if __name__ == "__main__":
    main()
