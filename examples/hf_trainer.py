"""The alarm in a Hugging Face Trainer run (pip install coursekit[hf]): MODEL, TOKENIZER and DATA are yours."""
import sys

from transformers import Trainer, TrainingArguments

from coursekit.integrations.hf import CoherenceCallback


def train(model, tokenizer, data, out_dir="runs/hf"):
    alarm = CoherenceCallback(every=100, gate="v4", prompts=["The history of", "In this paper we"])
    args = TrainingArguments(output_dir=out_dir, max_steps=10_000, save_steps=500)
    trainer = Trainer(model=model, args=args, train_dataset=data, processing_class=tokenizer, callbacks=[alarm])
    result = trainer.train()  # resume: trainer.train(resume_from_checkpoint=True) keeps the gate's counter
    if result.metrics["coherence_halted"]:  # samples.jsonl and halt.json are in out_dir
        sys.exit(3)
