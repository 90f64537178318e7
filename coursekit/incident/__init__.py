"""The incident: ANDREA-120M v1 reconstructed, the run whose collapse the course is about.

- ``v1sim``: the seeded generator of v1's stored samples and loss EMA (data/v1/samples.jsonl);
- ``v1text`` and ``v1corpus``: the sample texts of each training stage and the simulated sources' templates;
- ``v1firehose``: v1's firehose runner rebuilt with its bug (samples stored, never scored).

It is a simulation calibrated to the published account, not v1's data (data/v1/README.md).

Layer rule (import-linter): may import ``coursekit.alarm``, ``coursekit.backtest`` (to check its calibration)
and ``coursekit.train`` (v1's runner uses the trainer's curriculum); not the course.
"""
