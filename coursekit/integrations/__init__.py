"""The alarm in training loops: the pieces every integration shares, and one integration per kind of trainer.

- ``core``: ``SampleWatch``, the rules around one sample (cadence, each step once, the gate never kills a run,
  the run log, the halt report, a resumable state without paths), with no framework at all;
- ``torch``: ``Alarm`` for hand-written PyTorch loops and ``torchrun`` (rank-0 sampling, the halt broadcast,
  every rank generating under FSDP / ZeRO-3); the course trainer's sample path (coursekit.train.samplepath) is
  built on it, so the course and its users share one sample path;
- ``hf``: ``CoherenceCallback`` for ``transformers.Trainer`` and ``sample_text`` for Hugging Face models
  (``pip install coursekit[hf]``);
- ``lightning``: ``CoherenceCallback`` for ``lightning.Trainer`` (``pip install coursekit[lightning]``).

Layer rule (enforced by import-linter, see pyproject.toml): this layer sits between the trainer and the alarm,
``cli > course > incident > train | backtest > integrations > alarm``. It imports the alarm, the standard library
and torch; never ``coursekit.train``, ``backtest``, ``incident``, ``course`` or ``cli``. ``transformers`` and
``lightning`` are imported only inside ``coursekit.integrations.hf`` and ``coursekit.integrations.lightning``, and
nothing else in coursekit imports those two modules but lesson 08's (which only its notebook, the grader and the
tests import), so ``import coursekit`` works without either installed.
"""
