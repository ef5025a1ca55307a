"""The OpenAI-compatible inference gateway: authenticate, admit, guard, forward, record."""
