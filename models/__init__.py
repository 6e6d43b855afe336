"""Local models: the classifier and the drafter behind small Protocols."""
