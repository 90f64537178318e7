"""The alarm: what an ML engineer installs in a training loop. Scores samples, decides when to halt, logs.

- ``metrics``: the four axes (bigram and trigram diversity, English word presence, character diversity), the
  composite ``eval_chat_quality`` and the English lexicon;
- ``gate``: ``CoherenceGate``, v2's rule (halt after ``patience`` degenerate samples in a row);
- ``v3gate``: ``V3Gate``, per-axis floors and "k bad of the last n";
- ``signals``: repetition, soup, markup and drift measures of one sample (compression ratio, repeated n-grams ...);
- ``prepared``: one sample split and encoded once (word ids, packed n-grams), which the signals and v4 share;
- ``wordflags``: each word's lexicon flags, worked out once per word string and remembered across samples;
- ``v4gate``: ``V4Gate`` and ``judge``, v3's floors plus one rule per signal (tuned on data/realworld/ dev);
- ``gates``: the gates by name (``make_gate("v4")``), for configs, the integrations and the gate report;
- ``falsealarm``: the false-alarm budget of a "k of the last n" gate, and the choice of k and n from it;
- ``runlog``: the JSON Lines run-log format every runner writes and every back-test reads, and ``printable``
  (log text made safe to print);
- ``safefile``: files replaced atomically and durably (unique temp file, fsync, rename), for logs and checkpoints.

Layer rule (enforced by import-linter, see pyproject.toml): the bottom layer. It imports the standard library
only: no other coursekit layer, and neither torch nor matplotlib, so back-testing logs on a laptop needs neither.
"""
