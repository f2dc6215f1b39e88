"""Sample content for `--screenshot`; nothing else imports this package."""
