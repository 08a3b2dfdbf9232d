"""Running as the service: systemd's notifications (`notify`), and the lock on the state folder
that tells other commands the service is running on it (`presence`)."""
