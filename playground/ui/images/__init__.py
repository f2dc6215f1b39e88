"""The Images tab: its view, controller, widgets and registration."""
