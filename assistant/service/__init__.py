"""Running under systemd: readiness and watchdog notifications (`notify`)."""
