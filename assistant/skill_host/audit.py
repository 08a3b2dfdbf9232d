"""The audit log: every action attempted, as JSON lines (never audio or transcripts).

One line per tool call and per answer to a confirmation question, with the turn's id, so a line
can be joined to the turn's events. Rotated once at 5 MB so a small SD card never fills up.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.private import append_private, private_folder

log = logging.getLogger(__name__)

_AUDIT_MAX_BYTES = 5_000_000


class AuditLog:
    """Append-only JSON lines; None as the path records nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def record(self, **entry: Any) -> None:
        if self.path is None:
            return
        line = json.dumps(
            {"time": datetime.now(UTC).isoformat(timespec="seconds"), **entry}, default=str
        )
        try:
            private_folder(self.path.parent)
            if self.path.exists() and self.path.stat().st_size > _AUDIT_MAX_BYTES:
                self.path.replace(self.path.with_suffix(".jsonl.1"))
            with append_private(self.path) as handle:
                handle.write(line + "\n")
        except OSError as error:  # an unwritable log must not stop the house from working
            log.error("cannot write the audit log %s: %s", self.path, error)

    def entries(self) -> list[dict[str, Any]]:
        if self.path is None or not self.path.exists():
            return []
        return [
            json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line
        ]
