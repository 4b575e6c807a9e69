"""Data for the built-in models: CSV reading, the one checker of training arrays
(``validation``), what data say about conditioning (``stats.DataStats``), how much memory this
process can still take (``memory``, so that work which cannot fit is refused before it starts),
task inference, splits, scaling, and the house-price example.

Layer 1, the lowest: it may import ``lrscout.errors``, ``lrscout._validation`` and NumPy; never
the core (which reads ``DataStats`` and the memory available), problems, executors, workflows,
frameworks or outputs.
"""

from .housing import housing
from .prepare import Dataset, Scaler, infer_task, prepare
from .table import Table, read_csv

__all__ = ["Dataset", "Scaler", "Table", "housing", "infer_task", "prepare", "read_csv"]
