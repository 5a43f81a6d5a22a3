"""Live updates: the event bus that carries job events to GraphQL subscriptions."""
