"""The HTTP layer's shared pieces: framework configuration, middleware, rendering and error handling."""
