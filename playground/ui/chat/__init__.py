"""The Chat tab: its view, controller and widgets."""
