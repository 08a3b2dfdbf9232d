"""Run inside a network namespace with only loopback (see test_privacy.py): a private broker
with the simulated home, then `once` on a spoken command and `ask` on a typed one, each traced
for every address it tries to reach. Prints the two JSON replies, then one line per address.

    python -m tests.loopback_home WAV TRACE_DIR
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import assistant_command, simulated_home_env

# strace prints each connect/sendto/sendmsg destination as sa_family=AF_…, with the address.
_ADDRESS = re.compile(
    r"sa_family=(AF_\w+)"  # any family: one the test does not expect fails it
    r"(?:.*?inet_(?:addr|pton)\((?:AF_INET6, )?\"([^\"]+)\")?"  # the IPv4 or IPv6 address
)


def traced(trace: Path, command: list[str]) -> list[str]:
    """Every socket call that names a destination is traced (seccomp keeps the rest untraced,
    so the models still load at full speed)."""
    return ["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=connect,sendto,sendmsg",
            "-o", str(trace), *command]  # fmt: skip


def addresses(trace_dir: Path) -> set[str]:
    found: set[str] = set()
    for trace in trace_dir.glob("*.trace"):
        for match in _ADDRESS.finditer(trace.read_text(errors="replace")):
            family, address = match.groups()
            found.add(f"{family} {address}" if address else family)
    return found


def main(wav: str, trace_dir: str) -> int:
    traces = Path(trace_dir)
    assistant = assistant_command()
    with simulated_home_env(assistant) as env:
        runs = [
            ["once", wav, "--json"],
            ["ask", "turn off the kitchen light", "--json"],
        ]
        for index, arguments in enumerate(runs):
            done = subprocess.run(
                traced(traces / f"{index}.trace", [*assistant, *arguments]),
                env=env, capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                return done.returncode
            print(done.stdout.strip().splitlines()[-1])
    for address in sorted(addresses(traces)):
        print(address)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
