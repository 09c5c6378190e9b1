"""Server-rendered pages: the OAuth consent page and the account e-mail links (styled later)."""
