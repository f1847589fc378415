"""The HTTP API (FastAPI, `/api/v1`): thin. It authenticates, parses, and calls
`cases.service`; every rule lives below it."""
