// Placeholder: the checker executable used by the plugins (issue #2).
print("journey-check: not yet implemented")
