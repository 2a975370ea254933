// Placeholder: the herald command-line tool.
print("herald: not yet implemented")
