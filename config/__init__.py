"""Defaults as readable files, and the one loader that turns them into frozen settings."""
