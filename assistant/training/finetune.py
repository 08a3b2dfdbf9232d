"""LoRA fine-tuning of the base GGUF model on the CPU, resumable, with progress.

The base weights come from the GGUF the runtime already ships: transformers dequantizes it
(about 80 s here) and the result is saved once in the work folder. Only the LoRA matrices on
the attention and MLP projections train (3.8 M parameters at rank 16). The loss is on the
answer only, and the 262k-word output layer is applied only at the answer's positions. A
checkpoint is written every few steps; a rerun with the same recipe continues from it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# OpenMP's threads otherwise spin while they wait: on a 2-core board shared with anything else
# (the assistant itself, a test run) a training step then took 10x longer. Set before torch
# is imported (it is imported only inside the functions below).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the result; recorded beside the artifact."""

    examples: int = 4800
    seed: int = 7
    rank: int = 16
    alpha: int = 32
    learning_rate: float = 4e-4
    warmup_steps: int = 10
    batch_size: int = 8
    threads: int = 2

    def steps(self) -> int:
        return math.ceil(self.examples / self.batch_size)


def prepare_base(gguf_path: Path, work: Path) -> Path:
    """A transformers copy of the base GGUF (dequantized, float32), made once."""
    folder = work / "base-hf"
    if (folder / "config.json").exists():
        return folder
    import torch
    from transformers import AutoModelForCausalLM

    log.info("dequantizing %s for training (once; about 80 s here)", gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32
    )
    # A model loaded from GGUF refuses save_pretrained until it forgets it was quantized.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = work / "base-hf.partial"
    model.save_pretrained(partial)
    partial.rename(folder)
    return folder


@dataclass
class Batch:
    input_ids: Any
    attention_mask: Any
    labels: Any


def _batches(sequences: list[tuple[list[int], int]], recipe: Recipe) -> list[list[int]]:
    """Indices in batches of similar length (little padding), in a seeded order."""
    rng = random.Random(recipe.seed)
    order = list(range(len(sequences)))
    rng.shuffle(order)
    pool = recipe.batch_size * 16
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: len(sequences[i][0]))
        batches += [
            chunk[i : i + recipe.batch_size] for i in range(0, len(chunk), recipe.batch_size)
        ]
    rng.shuffle(batches)
    return batches


def _collate(items: list[tuple[list[int], int]], pad: int) -> Batch:
    import torch

    width = max(len(ids) for ids, _ in items)
    input_ids = torch.full((len(items), width), pad, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    labels = torch.full((len(items), width), -100, dtype=torch.long)
    for row, (ids, answer_start) in enumerate(items):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        mask[row, : len(ids)] = 1
        labels[row, answer_start : len(ids)] = torch.tensor(ids[answer_start:])
    return Batch(input_ids, mask, labels)


def _loss(model: Any, batch: Batch) -> Any:
    """Cross-entropy on the answer tokens, with the output layer applied only there."""
    import torch

    inner = model.get_base_model()
    hidden = inner.model(input_ids=batch.input_ids, attention_mask=batch.attention_mask)
    states = hidden.last_hidden_state[:, :-1]
    targets = batch.labels[:, 1:]
    chosen = targets != -100
    logits = inner.lm_head(states[chosen])
    return torch.nn.functional.cross_entropy(logits.float(), targets[chosen])


def train(
    sequences: list[tuple[list[int], int]],
    base_folder: Path,
    work: Path,
    recipe: Recipe,
    *,
    pad_token: int,
    data_sha256: str,
    progress: Callable[[dict[str, Any]], None],
) -> Any:
    """Train (or resume) and return the peft model. `sequences` are (token ids, answer start)."""
    import torch
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict
    from peft import set_peft_model_state_dict as load_lora
    from transformers import AutoModelForCausalLM

    torch.manual_seed(recipe.seed)
    torch.set_num_threads(recipe.threads)
    base = AutoModelForCausalLM.from_pretrained(base_folder, dtype=torch.float32)
    config = LoraConfig(
        r=recipe.rank, lora_alpha=recipe.alpha, lora_dropout=0.0,
        target_modules=TARGET_MODULES, bias="none", task_type="CAUSAL_LM",
    )  # fmt: skip
    model = get_peft_model(base, config)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=recipe.learning_rate, weight_decay=0.0)
    total = recipe.steps()

    def rate(step: int) -> float:
        if step < recipe.warmup_steps:
            return (step + 1) / recipe.warmup_steps
        return max(0.05, 0.5 * (1 + math.cos(math.pi * step / total)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    checkpoint = work / "checkpoint.pt"
    # A checkpoint is resumed only for the same recipe on the same data (a home that changed
    # between two `model tune` runs makes new data, and so a new start).
    recipe_key = json.dumps(asdict(recipe) | {"data_sha256": data_sha256}, sort_keys=True)
    step, losses = 0, []
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        if saved["recipe"] == recipe_key:
            load_lora(model, saved["lora"])
            optimizer.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            step, losses = saved["step"], saved["losses"]
            log.info("resuming at step %d of %d", step, total)
    batches = _batches(sequences, recipe)
    model.train()
    started = time.monotonic()
    first = step
    while step < total:
        batch = _collate([sequences[i] for i in batches[step % len(batches)]], pad_token)
        loss = _loss(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        step += 1
        losses.append(round(float(loss.detach()), 4))
        elapsed = time.monotonic() - started
        progress({
            "step": step, "steps": total, "loss": losses[-1],
            "seconds": round(elapsed, 1),
            "eta_seconds": round(elapsed / (step - first) * (total - step), 0),
        })  # fmt: skip
        if step % 20 == 0 or step == total:
            state = {
                "recipe": recipe_key, "step": step, "losses": losses,
                "lora": get_peft_model_state_dict(model),
                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            }  # fmt: skip
            torch.save(state, work / "checkpoint.partial")
            (work / "checkpoint.partial").replace(checkpoint)
    model.eval()
    model.losses = losses  # type: ignore[assignment]  # read by the training record
    return model
