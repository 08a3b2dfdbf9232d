"""Understanding: what was said, normalised once (`utterance`), through the cascade
(`cascade`): a question waiting for its answer, the rules (`rules`, `templates`, `repair`), a
follow-up (`dialogue`), and the grammar-constrained language model (`model_stage`,
`model_prompt`, `grounding`)."""
