// Placeholder: HeraldService is built by its issue.
