"""supplyrisk's stream edge: Kafka in, decoding and validation, publishing, HTTP, CLI."""
