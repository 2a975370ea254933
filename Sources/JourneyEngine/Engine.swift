// The journey engine: see docs/architecture.md. Built by the engine issue (#3).
