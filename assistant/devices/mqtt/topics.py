"""What MQTT allows in a topic (MQTT 3.1.1 §4.7), checked before a topic reaches the client.

paho raises on some bad topics only when it sends them, and the broker drops the connection for
others (a NUL character): a topic taken from a device's discovery message must be refused when
the message is read, not when the connection is rebuilt after the broker restarts.
"""

from __future__ import annotations

_MAX_TOPIC_BYTES = 65_535


def topic_problem(topic: str, *, wildcards: bool) -> str | None:
    """Why `topic` cannot be used, or None. `wildcards`: it is a subscription filter, where a
    `+` may stand for one whole level and a `#` for the last ones."""
    if not topic:
        return "is empty"
    if "\0" in topic:
        return "contains a NUL character"
    if len(topic.encode("utf-8", errors="surrogatepass")) > _MAX_TOPIC_BYTES:
        return f"is longer than {_MAX_TOPIC_BYTES:,} bytes"
    if not wildcards:
        return "contains a wildcard" if "+" in topic or "#" in topic else None
    levels = topic.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            return "has a '#' that is not the whole last level"
        if "+" in level and level != "+":
            return "has a '+' that is not a whole level"
    return None
