"""Understanding: what was said, normalised once (`utterance`), through the cascade
(`cascade`): a question waiting for its answer, the rules (`rules`, `templates`, `repair`), a
follow-up (`dialogue`), and the specialist language model (`model_stage`: candidates from
`retrieval`, the prompt and answer format of `model_format`, `model_decoder`, `grounding`)."""
