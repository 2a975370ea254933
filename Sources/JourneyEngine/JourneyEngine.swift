// Placeholder: JourneyEngine is built by its issue.
