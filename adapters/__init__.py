"""Platform adapters: one module per platform; only that module imports its SDK.

They are built from config.toml by the composition root (``bot.app.build_adapters``)."""
