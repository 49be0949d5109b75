"""Screens shown over the main one: help and the list of unreadable files."""
