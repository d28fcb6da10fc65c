"""A flood of emergencies on the web chat while a real conversation goes on."""
