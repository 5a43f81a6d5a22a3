"""The Starlette application, settings, CLI and static pages. The only layer that reads the environment."""
