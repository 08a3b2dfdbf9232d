"""Text to speech: the role (`protocol.TextToSpeech`) and its backend, Piper."""
