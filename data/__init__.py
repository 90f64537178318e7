"""The course's data, shipped inside the coursekit wheel as ``coursekit.data`` (see data/README.md)."""
