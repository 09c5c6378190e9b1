"""The Mastodon client API and Pixie's extensions: parse, authorize, call a service, render."""
