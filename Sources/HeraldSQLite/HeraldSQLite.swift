// Placeholder: HeraldSQLite is built by its issue.
