"""A microphone for the stock wyoming-satellite's `--mic-command`: 16 kHz 16-bit mono PCM on
standard output, in real time, as `arecord -r 16000 -c 1 -f S16_LE -t raw` gives it.

It plays silence, and each `*.raw` file (the same format) that appears in the folder it is
given, in name order, once, then deletes it; a test writes one there (under another name,
then renamed, so it is never read half written) to say something into the room.

    python tests/stock_satellite_mic.py FOLDER
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

RATE_HZ = 16_000
CHUNK_SAMPLES = 1_024
CHUNK_BYTES = CHUNK_SAMPLES * 2
CHUNK_SECONDS = CHUNK_SAMPLES / RATE_HZ


def main(folder: Path) -> None:
    out = sys.stdout.buffer
    pending = b""
    due = time.monotonic()
    while True:
        if not pending:
            said = sorted(folder.glob("*.raw"))
            if said:
                pending = said[0].read_bytes()
                said[0].unlink()
        chunk, pending = pending[:CHUNK_BYTES], pending[CHUNK_BYTES:]
        out.write(chunk.ljust(CHUNK_BYTES, b"\0"))
        out.flush()
        due += CHUNK_SECONDS
        time.sleep(max(0.0, due - time.monotonic()))


if __name__ == "__main__":
    # A broken pipe: the satellite stopped reading, it is stopping.
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        main(Path(sys.argv[1]))
