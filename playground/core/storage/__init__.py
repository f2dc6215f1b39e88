"""What is kept on disk: folders, settings, SQLite helpers, conversation history, window state."""
