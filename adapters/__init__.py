"""Platform adapters: one module per platform; only that module imports its SDK."""
