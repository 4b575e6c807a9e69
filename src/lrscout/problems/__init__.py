"""Problems: training setups the sweep can run (built-in NumPy models, plain callables, a CSV
streamed from disk), and the protocols that say what a problem is and what it can do.

Layer 3. It may import ``lrscout.core``, ``lrscout.data`` and ``lrscout.errors``; never
executors, workflows, frameworks or outputs. A problem trains; it never chooses.
"""

from .callable import CallableProblem
from .numpy_models import LinearRegression, LogisticRegression, NumpyProblem, SoftmaxRegression

__all__ = ["CallableProblem", "LinearRegression", "LogisticRegression", "NumpyProblem", "SoftmaxRegression"]
