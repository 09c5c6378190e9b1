"""Live streams: Mastodon's streaming API fed by domain events through pub/sub."""
