"""Outputs: figure data, static images, the interactive HTML report, the notebook summary, terminal
views, and TensorBoard/MLflow exporters.

Layer 7. It may import ``lrscout.core``, ``lrscout.errors`` and ``lrscout._version`` (and, for
type hints only, the workflows' progress events); never ``lrscout.cli``. Plotting and table
libraries are imported where they are used, not when this package loads.
"""

from .html import to_html

__all__ = ["to_html"]
