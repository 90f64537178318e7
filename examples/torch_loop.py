"""The alarm in a hand-written PyTorch loop, alone or under torchrun (DDP; FSDP: all_ranks_generate=True)."""
from coursekit.integrations.torch import Alarm


def train(model, optimizer, batches, my_sample, log_file="runs/torch/samples.jsonl"):
    # my_sample(model) -> str: a fixed-length continuation of a fixed clean prompt
    alarm = Alarm(gate="v4", every=100, sample_fn=my_sample, log_file=log_file)
    for step, (x, y) in enumerate(batches, start=1):
        loss = model(x, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if alarm.step(step, model, loss_ema=loss.item()):  # True on every rank at once
            return alarm.report()  # save a checkpoint with alarm.state_dict() here too
