// Placeholder: HeraldSimulation is built by its issue.
