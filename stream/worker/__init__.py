"""The streaming worker: Faust for the group and the web, a batched path for the events."""
