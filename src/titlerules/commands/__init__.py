"""The subcommands of ``titlerules``: one module each, with ``add_parser(subparsers)``."""
