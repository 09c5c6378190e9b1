"""Models -> Mastodon entities: the only place that shapes JSON."""
