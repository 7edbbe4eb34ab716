//! Lambda tests (filled next).
use super::*;
