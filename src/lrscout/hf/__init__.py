"""lrscout for Hugging Face ``transformers``: sweep a ``Trainer``'s own setup, or let a callback
choose the rate at the start of ``trainer.train()``.

    from lrscout.hf import LRScoutCallback, sweep_trainer
    result = sweep_trainer(trainer)                          # the Trainer is left as it was
    trainer.add_callback(LRScoutCallback(trainer))           # or Trainer(callbacks=[LRScoutCallback()])

Built on ``lrscout.torch.sweep``: a copy of the Trainer's model trains, with the optimizer the
Trainer builds (or yours), its training batches and collator, its ``compute_loss`` and its
evaluation set; the result is the usual ``SweepResult``. Importing this package imports
``transformers`` (``pip install 'lrscout[hf]'``); ``import lrscout`` never does.

Layer 6, beside ``lrscout.torch`` (an adapter at the edge, built on it). It may import
``lrscout.torch``, ``lrscout.core``, ``lrscout.errors``, torch and transformers; never
``lrscout.report`` or ``lrscout.cli``.
"""

from ..errors import BackendUnavailableError

try:
    import transformers as _transformers  # noqa: F401  (the check; submodules import it by name)
except ImportError:
    raise BackendUnavailableError("lrscout.hf", "hf", "transformers") from None

from .callback import LRScoutCallback
from .trainer import run_length, sweep_trainer

__all__ = ["LRScoutCallback", "run_length", "sweep_trainer"]
