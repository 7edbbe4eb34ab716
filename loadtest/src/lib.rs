//! Load generation and measurement for expressway.
//!
//! | module | role |
//! |---|---|
//! | [`handlers`] | the five anchor-protocol Task handlers (optionally with simulated latency) |
//! | [`workload`] | a compiled definition + input ready to execute in-process |
//! | [`schedule`] | open-loop intended start times (no coordinated omission) |
//! | [`template`] | `{{n}}` input templates |
//! | [`target`] | what a request goes to: in-process engine, HTTP StartSyncExecution, bare server |
//! | [`bare`] | a minimal hyper server answering a fixed StartSyncExecution body |
//! | [`run`] | the open-loop runner and the max-rate search's driver |
//! | [`search`] | the max-rate search as a pure function of pass/fail answers |
//! | [`report`] | percentiles, hdrhistogram-style distribution, summary |
//! | [`svg`] | a plain-SVG latency-by-percentile plot |
//! | [`rss`] | resident set size from `/proc/self/status` |

pub mod bare;
pub mod handlers;
pub mod report;
pub mod rss;
pub mod run;
pub mod schedule;
pub mod search;
pub mod svg;
pub mod target;
pub mod template;
pub mod workload;
