"""The one call behind ``valueportrait publish`` and ``publish-metric``: plan, and unless it is a dry run,
execute; the :class:`Publication` says what was planned and done, as text or JSON."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..settings import Publish
from .plan import PublishPlan, plan_dataset, plan_metric
from .targets import PublishResult, publish, token_source


@dataclass(frozen=True)
class Publication:
    """A plan and, unless it was a dry run, what executing it did."""

    plan: PublishPlan
    result: PublishResult | None = None  #: None for a dry run
    token_from: str | None = None  #: a dry run's answer to "where would the token come from" (never the token)

    @property
    def dry_run(self) -> bool:
        return self.result is None

    def token_line(self) -> str:
        if self.plan.target_kind == "git":
            return "Token:   not used (git target)"
        return (f"Token:   from {self.token_from} (never shown)" if self.token_from else
                "Token:   none found; the real publish needs HF_TOKEN or `hf auth login`")

    def render(self) -> str:
        """A dry run: the plan and where the token would come from; else what was done."""
        if self.result is None:
            return "\n".join(["Dry run: nothing is sent. Plan:", self.plan.render(), self.token_line()])
        return self.result.render(self.plan)

    def to_dict(self) -> dict[str, Any]:
        """A dry run: the plan (:meth:`PublishPlan.to_dict`); else ``{"plan": ..., "result": ...}``."""
        if self.result is None:
            return self.plan.to_dict()
        return {"plan": self.plan.to_dict(), "result": self.result.to_dict()}


def _carry_out(plan: PublishPlan, dry_run: bool, on_plan: Callable[[PublishPlan], None] | None,
               **target: Any) -> Publication:
    if dry_run:
        return Publication(plan, token_from=None if plan.target_kind == "git" else token_source())
    if on_plan is not None:
        on_plan(plan)
    return Publication(plan, publish(plan, **target))


def publish_dataset(folder: str | Path, repo_id: str, version: str, *, publish: Publish = Publish(),
                    changelog: str | Path | None = None, dry_run: bool = False,
                    on_plan: Callable[[PublishPlan], None] | None = None, **target: Any) -> Publication:
    """Plan the dataset folder's publication as ``v<version>`` (:func:`plan_dataset`, with ``publish``'s
    endpoint, privacy and force) and, unless ``dry_run``, execute it (:func:`~valueportrait.hub.targets.publish`;
    ``target``: its ``token`` / ``api``; ``on_plan`` is called with the plan just before anything is sent)."""
    plan = plan_dataset(folder, repo_id, version, force=publish.force, endpoint=publish.endpoint,
                        private=publish.private, changelog=changelog)
    return _carry_out(plan, dry_run, on_plan, **target)


def publish_metric(folder: str | Path | None, repo_id: str, *, publish: Publish = Publish(),
                   wheel: str | Path | None = None, dry_run: bool = False,
                   on_plan: Callable[[PublishPlan], None] | None = None, **target: Any) -> Publication:
    """Plan the metric Space (:func:`plan_metric`; ``folder`` None: the installed package's metric folder;
    ``wheel``: a built wheel the Space installs; ``publish``: endpoint and privacy) and, unless ``dry_run``,
    execute it (``target``: :func:`~valueportrait.hub.targets.publish`'s ``token`` / ``api``)."""
    plan = plan_metric(folder, repo_id, endpoint=publish.endpoint, private=publish.private, wheel=wheel)
    return _carry_out(plan, dry_run, on_plan, **target)
