"""The ``valueportrait`` command: a thin shell over the library.

Each sub-command lives in its own module (``valueportrait.cli.<module>``) and is imported only when it runs,
so ``valueportrait --help`` stays fast and a missing optional extra affects only its own command. Library
errors (:class:`~valueportrait.errors.ValuePortraitError`) become ``Error: ...`` with exit status 1; any other
exception (a bug) becomes a one-line ``Error: internal error ...`` with exit status 1, and its traceback is
printed only with ``valueportrait --debug COMMAND``. Warnings print as ``Warning: ...``. Every error text
and traceback goes through :func:`valueportrait.secrets.scrub` first.
"""

from __future__ import annotations

import errno
import importlib
import sys
import traceback
import warnings

import click

from valueportrait import __version__
from valueportrait.errors import ValuePortraitError
from valueportrait.secrets import scrub

#: command name -> (module in valueportrait.cli, attribute, one-line help shown by --help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "build": ("build", "build", "Build the Value Portrait dataset folder from the raw upstream release."),
    "info": ("build", "info", "Summarise a built dataset: items per dimension, reliability, cross-check."),
    "score": ("score", "score", "Score model ratings into value portraits and print a leaderboard."),
    "compare": ("compare", "compare", "Compare models' portraits with a baseline's (Holm-adjusted p per dimension)."),
    "cohort": ("cohort", "cohort", "The cohort of models against the human raters: means, diversity, groups."),
    "plot": ("score", "plot", "Draw paper-style radar charts of value portraits."),
    "report": ("report", "report", "Write one self-contained HTML page of scored portraits."),
    "run": ("run", "run", "Run a model (OpenAI-compatible API or local transformers) on the benchmark."),
    "deviation": ("deviation", "deviation", "Compare model personas with real demographic groups."),
    "publish": ("publish", "publish", "Publish a built dataset folder as a tagged Hub dataset revision."),
    "publish-metric": ("publish", "publish_metric", "Publish the evaluate metric as a Hugging Face Space."),
}


class LazyGroup(click.Group):
    """A click group that imports a sub-command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"valueportrait.cli.{module}"), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, _, help_) in COMMANDS.items()])

    def invoke(self, ctx: click.Context):
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except ValuePortraitError as exc:
                raise click.ClickException(scrub(str(exc))) from exc
            except (click.exceptions.Exit, click.ClickException, click.Abort):
                raise
            except OSError as exc:  # a full disk or a long name wherever it strikes: what happened, not "a bug"
                if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.ENAMETOOLONG, errno.EROFS):
                    raise self._internal(ctx, exc) from exc
                from valueportrait.outputs import write_error

                raise click.ClickException(scrub(str(write_error(exc, exc.filename or "the output")))) from exc
            except Exception as exc:  # a bug: one line, the traceback only with --debug
                raise self._internal(ctx, exc) from exc

    @staticmethod
    def _internal(ctx: click.Context, exc: BaseException) -> click.ClickException:
        """The one-line ``internal error`` of a bug (its traceback first, with ``--debug``)."""
        if ctx.params.get("debug"):
            click.echo(scrub("".join(traceback.format_exception(exc))), err=True, nl=False)
        first = (scrub(str(exc)).strip().splitlines() or [""])[0][:300]
        return click.ClickException(
            f"internal error ({type(exc).__name__}{': ' + first if first else ''}). This is a bug: please "
            "report it with the command you ran"
            + (" and the traceback above." if ctx.params.get("debug")
               else "; `valueportrait --debug ...` shows the traceback."))


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as one ``Warning: ...`` line on stderr (not Python's file:line format)."""
    click.echo(f"Warning: {message}", err=True)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="valueportrait")
@click.option("--debug", is_flag=True, help="Show the full traceback of an internal error (a bug), to report it.")
def cli(debug: bool) -> None:
    """Value Portrait: what values does a language model express?

    \b
    Typical session:
      valueportrait build --raw ../shared/upstream --out ./valueportrait
      valueportrait score --upstream-outputs ../shared/upstream/lm_evaluation/outputs/final \\
          --dataset ./valueportrait --out ./scores
    """


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="valueportrait")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
