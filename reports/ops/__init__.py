"""Operations: readiness checks, the /metrics job collector, JSON logs."""
