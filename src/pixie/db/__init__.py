"""Engine and sessions, declarative base, ids, column types and migrations."""
