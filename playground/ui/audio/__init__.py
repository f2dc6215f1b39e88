"""The Audio tab: its view, controller, widgets and registration."""
