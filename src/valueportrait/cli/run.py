"""``valueportrait run``: rate the benchmark's items with a model, into a resumable run directory."""

from __future__ import annotations

import os
import shlex

import click

from valueportrait.cli.options import dataset_options
from valueportrait.errors import InputError, RunError

#: Exit status when the run ended with failed requests (re-running the command retries them).
EXIT_INCOMPLETE = 3


@click.command("run")
@dataset_options(help="Built dataset folder (valueportrait build) or Hub dataset repo id.")
@click.option("--model", required=True, metavar="NAME",
              help="Model name for the API, or a transformers model id / folder.")
@click.option("--backend", type=click.Choice(["openai", "openai-completions", "transformers"]), default="openai",
              show_default=True,
              help="openai: any OpenAI-compatible chat-completions endpoint; openai-completions: the likelihood "
                   "of each answer phrase from a /v1/completions server with prompt logprobs (vLLM, SGLang); "
                   "transformers: a local causal LM scored by the likelihood of each answer phrase.")
@click.option("--base-url", default=None, metavar="URL", envvar="OPENAI_BASE_URL", show_envvar=True,
              help="Endpoint base URL, e.g. http://localhost:8000/v1 (vLLM). Default: the OpenAI API.")
@click.option("--variants", default="all", show_default=True, metavar="all|v1,v2_reversed,...",
              help="Prompt variants to run.")
@click.option("--persona", default=None, metavar="TEXT",
              help="Answer as this persona (a system message; the text is also its label).")
@click.option("--personas", "personas_file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Several personas: .jsonl / .json / .csv with fields label and text.")
@click.option("--out", default=None, metavar="RUN_DIR", help="Run directory. Default: runs/<model label>.")
@click.option("--label", default=None, help="Model name stored with the ratings. Default: last part of --model.")
@click.option("--concurrency", type=click.IntRange(1, 1024), default=8, show_default=True,
              help="Requests in flight at once (openai backends).")
@click.option("--temperature", type=float, default=0.0, show_default=True)
@click.option("--max-tokens", type=click.IntRange(1), default=64, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--limit", type=click.IntRange(1), default=None, metavar="N",
              help="Only the first N items (a smoke test). Resuming with a larger N extends the run.")
@click.option("--timeout", type=click.FloatRange(0.001), default=60.0, show_default=True,
              help="Seconds per attempt (openai backends).")
@click.option("--max-attempts", type=click.IntRange(1, 50), default=6, show_default=True,
              help="Attempts per request before it is recorded as failed (openai backends).")
@click.option("--deadline", type=click.FloatRange(0.001), default=180.0, show_default=True, metavar="SECONDS",
              help="Seconds one request may take in all, its retries and waits included (openai backends).")
@click.option("--max-unparseable", type=click.IntRange(0), default=20, show_default=True, metavar="N",
              help="Stop the run when N of the last 30 answers hold no Likert phrase (openai backend; 0: never).")
@click.option("--api-key-env", default="OPENAI_API_KEY", show_default=True, metavar="NAME",
              help="Environment variable holding the API key (never logged or written).")
@click.option("--device", default=None, help="torch device for the transformers backend (default: cuda if any).")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=1, show_default=True,
              help="Items per forward pass (transformers backend).")
@click.option("--dtype", type=click.Choice(["auto", "float32", "bfloat16", "float16"]), default="auto",
              show_default=True, help="Weights' dtype (transformers backend). auto: float32 on CPU (bf16 moves ratings "
                                      "by up to 0.15), bfloat16 on a GPU.")
@click.option("--threads", type=click.IntRange(1, 1024), default=None, metavar="N",
              help="CPU threads (transformers backend). Default: half the CPUs, at most 8 (all of them slowed a "
                   "shared machine down 1.3-20x).")
@click.option("--chat-template", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Score the chat-formatted prompt (on), the plain prompt as lm-eval does (off), or the template "
                   "when the tokenizer has one (auto). Transformers backend; it moves ratings more than anything.")
@click.option("--system-prompt", default="default", show_default=True, metavar="default|none|TEXT",
              help="default: no system message (a chat template may insert its own); none: an empty one (so it "
                   "does not); TEXT: this text (a persona's text follows it).")
@click.option("--answer-format", type=click.Choice(["free", "constrained"]), default="free", show_default=True,
              help="openai backend: free text, or the server constrained to the 6 phrases (response_format JSON "
                   "schema; free text with a warning where the server refuses).")
@click.option("--parse", "parse_rule", type=click.Choice(["strict", "lenient"]), default="strict", show_default=True,
              help="Reading free-text answers: strict skips quoted phrases and phrases talked about; lenient "
                   "reads the first phrase anywhere.")
@click.option("--dry-run", is_flag=True, help="Print requests, prompt tokens and cost, then stop (nothing sent).")
@click.option("--price-in", type=click.FloatRange(0), default=None, metavar="USD",
              help="Price per million input tokens, for the cost line.")
@click.option("--price-out", type=click.FloatRange(0), default=None, metavar="USD",
              help="Price per million output tokens, for the cost line.")
@click.option("--export-upstream", "export_dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Also write upstream's <model>_<variant>_results.json files to DIR (a new folder).")
@click.option("--overwrite-export", is_flag=True, help="Replace an --export-upstream DIR an earlier export wrote.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run(dataset, revision, model, backend, base_url, variants, persona, personas_file, out, label, concurrency,
        temperature, max_tokens, seed, limit, timeout, max_attempts, deadline, max_unparseable, api_key_env, device,
        batch_size, dtype, threads, chat_template, system_prompt, answer_format, parse_rule, dry_run, price_in,
        price_out, export_dir, overwrite_export, quiet):
    """Rate every item of the benchmark with a model, into a run directory that `valueportrait score` reads.

    Each item is asked under each prompt variant (and persona); every finished request is appended to
    RUN_DIR/records.jsonl at once. Re-running the same command resumes: done requests are skipped, failed
    ones are tried again. A run directory refuses a command with other parameters. Exit status: 0 when every
    request is done, 3 when some failed, 1 on an error, 130 when interrupted.

    \b
    Examples:
      export OPENAI_API_KEY=...
      valueportrait run --dataset ./valueportrait --model gpt-4o-mini --out runs/gpt-4o-mini
      valueportrait run --dataset ./valueportrait --model llama3.1 --base-url http://localhost:11434/v1 \\
          --variants v1,v1_reversed --personas personas.jsonl
      valueportrait run --dataset ./valueportrait --model Qwen/Qwen2.5-0.5B-Instruct --backend transformers
      valueportrait run --dataset ./valueportrait --model SmolLM2-135M-Instruct.Q4_1.gguf --backend transformers \\
          --chat-template off --dry-run
      valueportrait run --dataset ./valueportrait --model gpt-4o-mini --dry-run --price-in 0.15 --price-out 0.6
      valueportrait score runs/gpt-4o-mini
      valueportrait plot runs/gpt-4o-mini --out portrait.png
      valueportrait report runs/gpt-4o-mini --out report.html
    """
    from valueportrait.runner.execute import RunSpec, run_benchmark
    from valueportrait.runner.local_model import LocalSettings
    from valueportrait.runner.prompts import Persona, load_personas, parse_variants, system_prompt_of

    if export_dir:  # the output rule before any request is sent
        from valueportrait.outputs import check_output
        from valueportrait.runner.rundir import EXPORT_COMMAND

        check_output(export_dir, overwrite=overwrite_export, command=EXPORT_COMMAND, inputs=[out, dataset],
                     option="--export-upstream")
    if persona is not None and personas_file is not None:
        raise InputError("give either --persona TEXT or --personas FILE, not both")
    personas = load_personas(personas_file) if personas_file else \
        [Persona(persona.strip(), persona.strip())] if persona and persona.strip() else []
    api_key = os.environ.get(api_key_env) or None
    if backend != "transformers" and base_url is None and api_key is None and not dry_run:
        raise RunError(f"the OpenAI API needs a key: set the environment variable {api_key_env} (or name another "
                       "one with --api-key-env), or point --base-url at a local server.")
    from valueportrait.dataset import open_dataset

    data = open_dataset(dataset, revision=revision)  # once, for the variants, the run and the export
    generation = None
    if backend != "transformers":
        from valueportrait.runner.openai_backend import DEFAULT_BASE_URL, OpenAIConfig

        generation = OpenAIConfig(model=model, base_url=base_url or DEFAULT_BASE_URL, temperature=temperature,
                                  max_tokens=max_tokens, seed=seed, timeout=timeout, max_attempts=max_attempts,
                                  concurrency=concurrency, deadline=deadline, max_unparseable=max_unparseable)
    spec = RunSpec(dataset=dataset, revision=revision, model=model, backend=backend, openai=generation, out=out,
                   label=label, variants=parse_variants(variants, data.instrument.variant_names), personas=personas, limit=limit, device=device,
                   batch_size=batch_size, system_prompt=system_prompt_of(system_prompt),
                   answer_format=answer_format, parse_rule=parse_rule,
                   local=LocalSettings(dtype=dtype, threads=threads, chat_template=chat_template))
    try:
        summary, run_dir = run_benchmark(spec, api_key=api_key, progress=not quiet, echo=click.echo, data=data,
                                         dry_run=dry_run, prices=(price_in, price_out),
                                         note=None if quiet else lambda line: click.echo(line, err=True))
    except KeyboardInterrupt:
        click.echo("Interrupted. Every finished request is saved; re-run the same command to resume.", err=True)
        raise SystemExit(130) from None
    if summary is None:  # --dry-run
        return
    click.echo(f"Run directory: {run_dir}")
    for line in summary.lines():
        click.echo(line)
    if export_dir:
        from valueportrait.runner.rundir import export_upstream

        files = export_upstream(run_dir, export_dir, data, overwrite=overwrite_export)
        click.echo(f"Exported {len(files)} upstream result file(s) to {export_dir}")
    from valueportrait.ratings.runs import run_without_ratings

    no_ratings = None if summary.remaining else run_without_ratings(run_dir)  # failed ones: re-run (exit 3)
    if no_ratings:
        raise RunError(no_ratings)
    where = shlex.quote(str(run_dir))
    click.echo(f"Next: valueportrait score {where}   (then: valueportrait plot {where} --out portrait.png; "
               f"valueportrait report {where} --out report.html)")
    if summary.remaining:
        raise SystemExit(EXIT_INCOMPLETE)
