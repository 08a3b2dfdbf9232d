"""The trained LoRA as a GGUF adapter, the file `Llama(lora_path=…)` loads.

Written directly with the `gguf` package in the layout llama.cpp's own `convert_lora_to_gguf.py`
produces (`blk.N.attn_q.weight.lora_a` / `.lora_b`, `adapter.lora.alpha`), so no llama.cpp
source tree is needed. Gemma 3's projections are stored unpermuted in GGUF, so the matrices go
across as they are.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np

_NAMES = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}  # fmt: skip
_KEY = re.compile(r"layers\.(\d+)\.(\w+\.\w+)\.lora_([AB])\.weight$")


def export_adapter(model: Any, alpha: float, path: Path, *, architecture: str = "gemma3") -> str:
    """Write the adapter; returns its sha256."""
    import gguf
    from peft import get_peft_model_state_dict

    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    tensors = 0
    for key, value in sorted(get_peft_model_state_dict(model).items()):
        match = _KEY.search(key)
        if match is None:
            continue
        layer, module, side = match.groups()
        name = f"blk.{layer}.{_NAMES[module]}.weight.lora_{side.lower()}"
        writer.add_tensor(name, value.detach().float().numpy().astype(np.float16))
        tensors += 1
    if tensors == 0:
        raise ValueError("the model has no LoRA weights to export")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()
