"""The wake word: the role (`protocol.WakeWordDetector`), its backend openWakeWord, and the
refractory gate that turns scores into detections."""
