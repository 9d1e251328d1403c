"""Framework-free helpers shared by the features."""
