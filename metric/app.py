"""Gradio Space for the Value Portrait metric.

The Space sets VALUEPORTRAIT_DATASET (Hub dataset repo id) and VALUEPORTRAIT_REVISION (tag) as variables.
"""

import os

import evaluate
from evaluate.utils import launch_gradio_widget

import valueportrait

module = evaluate.load(valueportrait.metric_path(), dataset=os.environ.get("VALUEPORTRAIT_DATASET"),
                       revision=os.environ.get("VALUEPORTRAIT_REVISION"))
launch_gradio_widget(module)
