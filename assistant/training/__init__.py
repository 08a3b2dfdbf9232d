"""Training the specialist model: data from the skills, LoRA fine-tuning, GGUF export.

Needs the `train` extra (torch, transformers, peft, gguf); the runtime never imports this
package, except `assistant model tune`, which runs it in a child process.
"""
