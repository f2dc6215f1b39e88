"""The Compare tab: its view, controller and registration."""
