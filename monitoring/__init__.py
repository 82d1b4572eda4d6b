"""Monitoring sources of supplyrisk: Prometheus rules, the Grafana dashboard and its lint."""
