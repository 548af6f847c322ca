"""The OpenAPI schema (drf-spectacular): each operation's description, the shapes of the
bodies drawn from their types, and what every operation may answer."""
