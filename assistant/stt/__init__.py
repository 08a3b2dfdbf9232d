"""Speech to text: the role (`protocol.SpeechToText`) and its backend, faster-whisper."""
