"""Pixie: a social network built around images, speaking the Mastodon client API."""

__version__ = "0.1.0"
