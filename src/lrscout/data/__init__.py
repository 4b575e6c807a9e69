"""Tabular data for the built-in models: CSV reading, checks, task inference, splits, scaling,
and the house-price example."""

from .housing import housing
from .prepare import Dataset, Scaler, infer_task, prepare
from .table import Table, read_csv

__all__ = ["Dataset", "Scaler", "Table", "housing", "infer_task", "prepare", "read_csv"]
