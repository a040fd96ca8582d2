"""Gradio Space for the Value Portrait metric (``valueportrait publish-metric`` uploads this folder)."""

import evaluate
from evaluate.utils import launch_gradio_widget

import valueportrait

module = evaluate.load(valueportrait.metric_path())
launch_gradio_widget(module)
