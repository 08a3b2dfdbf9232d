"""The audio format between the stages (`format`), WAV files, and sample-rate conversion."""
