"""Training: the small GPT, its tokenizer and data sources, the curriculum, the runners and the one sample path.

- the model: ``model`` (nanoGPT-style GPT with a KV cache), ``cudagraph`` (graphed decoding on CUDA);
- the data: ``tokenizer`` (byte-level BPE), ``corpus`` and ``stdlib_docstrings`` (the sources), ``ngram``
  (count-based models for lesson 01);
- the loop: ``trainconfig`` (``TrainConfig`` and profiles), ``curriculum`` (the firehose bandit, the legacy
  schedule), ``run`` (a run's state), ``runners`` (the registered loops), ``samplepath`` (generate, score, log,
  ask the gate: the one path every runner calls), ``trainer`` (``main``), ``checkpoint``, ``hardware``;
- the run folder: ``runlock`` (one trainer per folder), ``runfiles`` (its files read back, validated);
- watching a run: ``trainreport`` (progress bar, summary), ``live`` (live plots), ``gateaudit`` (does a runner
  reach the gate?).

Layer rule (import-linter): may import ``coursekit.alarm``; not the back-tester, the incident or the course.
"""
