"""End of speech: the role (`protocol.VoiceActivityDetector`), its backend Silero VAD, and the
endpointer that decides from speech probabilities when a command is over."""
