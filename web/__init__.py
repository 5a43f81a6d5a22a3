"""The Starlette app, settings, CLI and static pages: the only layer reading the environment."""
