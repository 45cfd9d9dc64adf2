//! Fixture tests: every check passing and failing.
