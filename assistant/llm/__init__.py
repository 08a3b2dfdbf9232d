"""The small language model: the role (`protocol.LanguageModel`) and its backend, llama.cpp."""
