"""Seeing inside training: graph drawings, backprop explanations, training diagnostics, plots.

- ``draw_graph(output, params)``: the backward graph as DOT text, rendered to SVG/PNG with
  Graphviz when installed (``pip install graphviz`` plus the ``dot`` program).
- ``explain_backward(output)`` / ``explain_forward(fn, inputs, wrt=...)``: reverse and forward
  mode worked step by step, with local derivatives and accumulated gradients.
- ``TrainingMonitor(model)``: per-layer gradient and weight norms, update ratios and activation
  statistics; warns about vanishing and exploding gradients. ``record()`` after each optimizer
  step, ``summary()`` for a text report, ``history`` for plots.
- ``plot_history``, ``plot_gradient_flow``, ``plot_weights``: PNG files via matplotlib
  (``pip install matplotlib``).
- ``GradientMonitor``: the monitor as a Keras callback (``chainrule.viz.keras_monitor``).
"""

from .explain import (BackwardExplanation, ForwardExplanation, explain_backward,
                      explain_forward)
from .graph import GraphDrawing, draw_graph, graph_to_dot, graphviz_available
from .monitor import TrainingDiagnosticWarning, TrainingMonitor
from .plots import plot_gradient_flow, plot_history, plot_weights

__all__ = ["draw_graph", "graph_to_dot", "GraphDrawing", "graphviz_available",
           "explain_backward", "explain_forward", "BackwardExplanation", "ForwardExplanation",
           "TrainingMonitor", "TrainingDiagnosticWarning", "plot_history", "plot_gradient_flow",
           "plot_weights", "GradientMonitor"]


def __getattr__(name: str):
    """``GradientMonitor`` is imported on first use (it imports ``chainrule.keras``)."""
    if name == "GradientMonitor":
        from .keras_monitor import GradientMonitor

        return GradientMonitor
    raise AttributeError(f"module 'chainrule.viz' has no attribute '{name}'")
