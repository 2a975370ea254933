// Placeholder: HeraldChannels is built by its issue.
