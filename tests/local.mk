# tests/: integration runner (unit tests live with their module's local.mk).
