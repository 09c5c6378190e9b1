"""Image generation: the provider interface, the providers, styles, and prompt safety."""
