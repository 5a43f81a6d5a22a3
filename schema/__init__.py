"""The GraphQL schema: Strawberry types, inputs, enums, errors and the one Schema object."""
