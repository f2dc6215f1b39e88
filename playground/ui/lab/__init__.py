"""The Prompt Lab tab: its view, controller, widgets and registration."""
