"""The Embeddings tab: its view, controller, widgets and registration."""
