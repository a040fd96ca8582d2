"""What a run is: :class:`RunSpec` (everything ``valueportrait run`` takes) and the manifest it is recorded as.

The manifest records every choice that moves the answers (backend, scoring, answer format, chat template, system
prompt, dtype, batch size, generation settings, variants, personas, dataset) so that a run directory only resumes
with the same ones (:data:`.rundir.IDENTITY_FIELDS`) and ``valueportrait score`` can show, per model, how its
ratings were produced (:func:`valueportrait.ratings.runs.run_settings`, ``runs`` in leaderboard.json).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from valueportrait.errors import RunError
from valueportrait.io import safe_name
from valueportrait.ratings.runs import FORMAT, FORMAT_VERSION
from valueportrait.scale import VARIANTS

from .local_model import LocalSettings
from .prompts import PERSONA_TEMPLATE, Persona
from .rundir import now

if TYPE_CHECKING:
    from .openai_backend import OpenAIConfig

#: The backends of ``valueportrait run --backend``; the first two talk HTTP to an OpenAI-compatible server.
BACKENDS = ("openai", "openai-completions", "transformers")
HTTP_BACKENDS = BACKENDS[:2]
#: ``--answer-format``: free text parsed, or the server constrained to the 6 phrases (chat backend only).
ANSWER_FORMATS = ("free", "constrained")


@dataclass
class RunSpec:
    """Everything the ``run`` command takes (see ``valueportrait run --help``).

    The generation settings of the ``openai`` backend (endpoint, temperature, max_tokens, seed, timeout,
    attempts, concurrency) are its :class:`~valueportrait.runner.openai_backend.OpenAIConfig`, held as
    ``openai`` (None: its defaults for ``model``); the key is never part of the spec (``run_benchmark(api_key=)``).
    ``local``: dtype, threads and chat template of the transformers backend; ``system_prompt``: see
    :func:`~valueportrait.runner.prompts.system_prompt_of`; ``answer_format``: :data:`ANSWER_FORMATS`;
    ``parse_rule``: how free text is read (:func:`~valueportrait.ratings.likert.parse_likert`'s ``rule``).
    """

    dataset: str
    model: str
    backend: str = "openai"
    openai: OpenAIConfig | None = None
    out: str | None = None
    label: str | None = None
    variants: list[str] = field(default_factory=lambda: list(VARIANTS))
    personas: list[Persona] = field(default_factory=list)
    persona_template: str = PERSONA_TEMPLATE
    limit: int | None = None
    device: str | None = None
    batch_size: int = 1
    revision: str | None = None
    local: LocalSettings = field(default_factory=LocalSettings)
    system_prompt: str | None = None
    answer_format: str = "free"
    parse_rule: str = "strict"

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise RunError(f"unknown backend {self.backend!r}; expected one of {', '.join(BACKENDS)}")
        if self.answer_format not in ANSWER_FORMATS:
            raise RunError(f"--answer-format must be one of {', '.join(ANSWER_FORMATS)}, got {self.answer_format!r}")
        if self.parse_rule not in ("strict", "lenient"):
            raise RunError(f"--parse must be strict or lenient, got {self.parse_rule!r}")
        if self.answer_format != "free" and self.backend != "openai":
            raise RunError(f"--answer-format {self.answer_format} applies to the openai (chat) backend; the "
                           f"{self.backend} backend scores the 6 phrases' likelihoods, which is constrained already")
        if self.backend in HTTP_BACKENDS:
            from .openai_backend import OpenAIConfig

            if self.local != LocalSettings():
                raise RunError("--dtype, --threads and --chat-template apply to the transformers backend only; a "
                               "server chooses its own")
            config = self.openai or OpenAIConfig(model=self.model)
            if config.model != self.model:
                raise RunError(f"the openai settings are for model {config.model!r}, the run for {self.model!r}")
            if config.api_key is not None:
                raise RunError("keep the API key out of the run spec: pass it to run_benchmark(api_key=...)")
            self.openai = config
        elif self.openai is not None:
            raise RunError(f"openai settings were given for the {self.backend!r} backend; they apply to "
                           f"{' and '.join(HTTP_BACKENDS)} only")

    @property
    def model_label(self) -> str:
        """The ``model`` stored with every rating: ``--label``, else the last part of the model name or path."""
        label = self.label or self.model.rstrip("/").split("/")[-1]
        return label if self.label else label.removesuffix(".gguf").removesuffix(".GGUF")

    @property
    def concurrency(self) -> int:
        """Requests in flight at once: the openai settings' ``concurrency``; one batch for a local model."""
        return self.openai.concurrency if self.openai is not None else self.batch_size

    def run_dir(self) -> Path:
        if self.out:
            return Path(self.out)
        return Path("runs") / safe_name(self.model_label)


def public_url(url: str | None) -> str | None:
    """A base URL without user info, query or fragment (where credentials sometimes hide)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def make_manifest(spec: RunSpec, data: Any, fp: str, *, scoring: str,
                  local: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run's manifest. ``local``: what the loaded transformers backend reports (``describe()``: dtype,
    threads, chat template on/off, device)."""
    from valueportrait import __version__

    gen = spec.openai  # the HTTP settings (both HTTP backends)
    sampled = gen if spec.backend == "openai" else None  # generation settings: the chat backend's only
    local = local or {}
    chat_template = local.get("chat_template") or ("server" if spec.backend == "openai" else "off")
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "model": spec.model_label, "model_name": spec.model, "backend": spec.backend,
        "base_url": public_url(gen.base_url) if gen else None,
        "temperature": sampled.temperature if sampled else None,
        "max_tokens": sampled.max_tokens if sampled else None,
        "seed": sampled.seed if sampled else None,
        "variants": list(spec.variants),
        "personas": [{"label": p.label, "text": p.text} for p in spec.personas],
        "persona_template": spec.persona_template if spec.personas else None,
        "scoring": scoring,
        "answer_format": spec.answer_format if spec.backend == "openai" else None,
        "chat_template": chat_template,
        "system_prompt": spec.system_prompt,
        "dtype": local.get("dtype"),
        "batch_size": spec.batch_size if spec.backend == "transformers" else None,
        "dataset_source": str(spec.dataset), "dataset_revision": spec.revision,
        # where `valueportrait score RUN_DIR` finds a local dataset from any folder (not part of the run's identity)
        "dataset_path": str(Path(spec.dataset).absolute()) if Path(str(spec.dataset)).is_dir() else None,
        "dataset_version": data.build_info.get("dataset_version"),
        "dataset_fingerprint": fp,
        "dataset_selection": data.build_info.get("selection"),
        "package_version": __version__,
        "sessions": [{"started_at": now(), "package_version": __version__, "concurrency": spec.concurrency,
                      "limit": spec.limit, "timeout": gen.timeout if gen else None,
                      "max_attempts": gen.max_attempts if gen else None,
                      "batch_size": None if gen else spec.batch_size,
                      "threads": local.get("threads"), "device": local.get("device")}],
    }
