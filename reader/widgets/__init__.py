"""The UI's widgets: each shows one thing and talks to the app through messages."""
