"""Webhooks: a signed POST to the request's callback_url once its job has ended."""
