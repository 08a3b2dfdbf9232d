"""`assistant satellite`: the wake word and the end of speech on a small board, the command
streamed to the hub over Wyoming, the reply played as it streams back."""
