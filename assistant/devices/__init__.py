"""Devices over MQTT: the broker connection (`mqtt`), discovery and the registry, command plans
and their confirmed outcomes (`commands`), and a simulated home for tests and demos (`sim`)."""
