"""What one stage-2 step costs on this machine's CPU, with glibc's default allocator and with freed memory kept.

/usr/bin/python3 tools/train/step-cost.py [default|keep] [STEPS]

Runs STEPS (default 5) training steps of the committed checkpoint's language model, randomly initialised, at
stage 2's batch and a typical length (the shared prompt prefix, then 250 positions), and prints each step's
page faults and seconds. `keep` first calls train.keep_freed_memory(); run both, each in its own process.
Needs no training data.
"""

import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import train as T  # noqa: E402

CHECKPOINT = os.path.join(os.path.dirname(__file__), "../../models/checkpoints/shapes-llava")
PREFIX, REST = 110, 250


def main(mode, steps):
    torch.manual_seed(T.SEED)
    torch.set_num_threads(2)
    if mode == "keep":
        T.keep_freed_memory()
    config = json.load(open(os.path.join(CHECKPOINT, "config.json")))["text_config"]
    lm = T.LanguageModel(config, config["vocab_size"] + 1)
    opt = torch.optim.AdamW(lm.parameters(), lr=1e-4)
    prefix = torch.randint(0, config["vocab_size"], (PREFIX,))
    for step in range(steps):
        faults, started = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.time()
        logits = lm(prefix, torch.randn(T.STAGE2["batch"], REST, config["hidden_size"]))
        loss = logits.logsumexp(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        print(f"{mode} step {step}: {faults} page faults, {time.time() - started:.2f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "default", int(sys.argv[2]) if len(sys.argv) > 2 else 5)
