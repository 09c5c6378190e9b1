"""Every write and every read rule, one module per concept; no HTTP here."""
