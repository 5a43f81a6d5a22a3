"""What each field and mutation does: plain async functions, one module per area."""
