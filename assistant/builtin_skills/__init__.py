"""The skills that ship with the runtime, loaded like any third-party skill.

Each module (or folder) here is a plugin written against the plugin API (`assistant.skills`)
only; the loader finds them by file, so this package's own `__init__` is never loaded as one.
"""
