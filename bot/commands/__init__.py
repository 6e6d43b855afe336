"""One module per ``tactline`` subcommand.

Each module defines ``register(subparsers) -> None``, which adds its parser(s) and sets
``handler`` to ``async def handler(args: argparse.Namespace, config: Config) -> int``.
"""
