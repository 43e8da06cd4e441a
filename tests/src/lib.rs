//! End-to-end suites live in `tests/`; this library only hosts shared helpers.
