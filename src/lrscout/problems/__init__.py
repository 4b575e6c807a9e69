"""Problems: training setups the sweep can run (built-in NumPy models, plain callables)."""

from .callable import CallableProblem
from .numpy_models import LinearRegression, LogisticRegression, NumpyProblem, SoftmaxRegression

__all__ = ["CallableProblem", "LinearRegression", "LogisticRegression", "NumpyProblem", "SoftmaxRegression"]
