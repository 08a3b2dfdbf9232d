"""`assistant doctor`: is this board ready to run the assistant, and if not, what to do."""

from assistant.doctor.report import run_checks, run_doctor

__all__ = ["run_checks", "run_doctor"]
