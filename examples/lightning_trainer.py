"""The alarm in a Lightning run (pip install coursekit[lightning]): MODULE, DATA and my_sample are yours."""
import sys

import lightning as L

from coursekit.integrations.lightning import CoherenceCallback


def train(module, data, my_sample, root="runs/lightning"):
    # my_sample(module) -> str: a fixed-length continuation of a fixed clean prompt (e.g. integrations.hf.sample_text)
    alarm = CoherenceCallback(sample_fn=my_sample, every=100, gate="v4")
    trainer = L.Trainer(max_steps=10_000, callbacks=[alarm], default_root_dir=root, accumulate_grad_batches=4)
    trainer.fit(module, data)  # resume: trainer.fit(module, data, ckpt_path=...) keeps the gate's counter
    if alarm.halted:  # samples.jsonl and halt.json are in root
        sys.exit(3)
