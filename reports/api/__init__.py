"""The HTTP edge: a module per resource (jobs, report_file, report_data, page, ops), the answer
bodies, authentication, content negotiation, the OpenAPI schema (schema/)."""
