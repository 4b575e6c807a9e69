"""Outputs: figure data, static images, the interactive HTML report, the notebook summary, terminal
views, and TensorBoard/MLflow exporters."""
