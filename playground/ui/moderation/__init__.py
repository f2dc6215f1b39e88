"""The Moderation tab: its view, controller, widgets and registration."""
