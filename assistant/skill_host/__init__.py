"""The skill host: finds and loads skills, and carries out their tools' calls.

Every call goes through argument validation, a time limit, the safety gate in front of every
device command, and the audit log. Skills themselves only see the plugin API
(`assistant.skills`); this package is the other side of it.
"""
