// GridIndex: see docs/architecture.md. Contents arrive with the foundation issue.
