"""`assistant eval`: how well the assistant understands and acts, measured on a dev set.

- `devset`: the items (`eval/devset.jsonl`) and what a correct assistant does about each;
- `home`: the fixed home they run against, a private broker with the simulated devices, and
  what those devices really received;
- `session`: one assembled runtime, brought back to a fresh conversation for every item;
- `audio`: the items spoken by Piper and espeak-ng, clean and with noise;
- `scoring`: exact actions, false actions, unsafe actions, the stage that answered;
- `report`: tables per intent, per category and overall, and latency percentiles;
- `runner`: `run_eval`, the entry point of `assistant eval`.
"""

from assistant.evaluation.runner import parse_levels, run_eval

__all__ = ["parse_levels", "run_eval"]
