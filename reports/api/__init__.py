"""The HTTP edge: views, authentication, serializers, content negotiation, the OpenAPI schema."""
