"""The window around the tabs: main window, the one async door (bridge), theme, status bar, dialogs."""
