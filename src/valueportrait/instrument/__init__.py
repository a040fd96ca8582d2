"""The instrument as data (issue 25): :class:`Instrument` and its parts, :func:`load_instrument`, and
:data:`VALUE_PORTRAIT`, the paper's instrument read from the packaged ``value_portrait.yaml`` (no templates:
those are the release's prompts, carried by a built dataset's ``prompts`` config)."""

from __future__ import annotations

from pathlib import Path

from .checks import PLACEHOLDERS
from .load import load_instrument
from .model import Family, Instrument, Scale, Template, Variant

#: The Value Portrait instrument (Han et al., ACL 2025): 19 dimensions in 3 families, the 1-6 scale with
#: upstream's answer phrases, the 6 prompt variants; templates come from a build's prompts config.
VALUE_PORTRAIT: Instrument = load_instrument(Path(__file__).with_name("value_portrait.yaml"))

__all__ = ["PLACEHOLDERS", "VALUE_PORTRAIT", "Family", "Instrument", "Scale", "Template", "Variant",
           "load_instrument"]
