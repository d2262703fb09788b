"""The gate: every rule a request must pass to leave (window, rates, breaker, TLS, budget)."""
