"""Typed settings shared by every entry point (placeholder until the cli branch lands; see CONTRACT)."""

#: Bootstrap replicates, the one default of every entry point.
DEFAULT_N_BOOT = 1000
#: Confidence level of every interval.
DEFAULT_CONFIDENCE = 0.95
