"""`assistant run` as the hub of a home with satellites: the listener they connect to, the
choice of the one that answers a wake word (`arbiter`), their turns and replies."""
