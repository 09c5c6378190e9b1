"""Infrastructure behind interfaces: an embedded and a production implementation each."""
