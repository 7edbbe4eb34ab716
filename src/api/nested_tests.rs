//! Nested workflows on the real router.
