//! The AWS Step Functions JSON 1.0 API over HTTP (`expressway serve`).
