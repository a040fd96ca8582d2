"""Value Portrait as an Inspect task (inspect_ai, UK AISI): ``inspect eval valueportrait/value_portrait``.

- :mod:`.task`: the task ``value_portrait`` (registered with Inspect through the package's ``inspect_ai`` entry
  point), its scorer ``likert_rating`` and its metric ``portrait``. Importing it needs ``inspect_ai``
  (``pip install 'valueportrait[inspect]'``).
- :mod:`.logs`: Inspect's ``.eval`` logs of the task read back as a ratings table (``valueportrait score
  LOG.eval``); needs ``inspect_ai`` only to read a log.

See docs/runner.md ("Inspect").
"""

from __future__ import annotations

from valueportrait.ratings.inspect_logs import is_eval_log_source, read_eval_ratings

__all__ = ["is_eval_log_source", "read_eval_ratings"]
