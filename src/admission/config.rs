//! Admission settings: the limits of one token bucket ([`Limits`]), the
//! whole configuration ([`AdmissionConfig`]: per-machine default, global
//! bucket, per-machine overrides) and its file form.
//!
//! The file (`expressway serve --config FILE`, TOML or JSON) may hold other
//! sections; admission reads only `admission`:
//!
//! ```toml
//! [admission.default]          # every state machine's own bucket
//! rate = 1000.0                # tokens per second
//! burst = 1000
//! max_wait_ms = 1000
//! max_queue = 10000
//!
//! [admission.global]           # one bucket shared by all starts
//! rate = 50000.0
//!
//! [admission.machines.payment] # overrides for the machine named `payment`
//! rate = 10.0
//! burst = 20
//! ```
//!
//! Every field of a section is optional: a machine section falls back to
//! `default`, `default` and `global` to the built-in values
//! ([`Limits::MACHINE_DEFAULT`], [`Limits::GLOBAL_DEFAULT`]).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

/// The largest rate accepted, in starts per second (one token per nanosecond).
pub const MAX_RATE: f64 = 1e9;
/// The smallest rate accepted, in starts per second (one per 1,000 s).
pub const MIN_RATE: f64 = 1e-3;

/// The limits of one token bucket and of the FIFO buffer behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Refill rate, in tokens (starts) per second; between [`MIN_RATE`] and [`MAX_RATE`].
    pub rate: f64,
    /// Bucket size: how many starts an idle bucket admits at once (at least 1).
    pub burst: u32,
    /// The longest a start waits for a token, in milliseconds; a start that
    /// would wait longer is throttled at once.
    pub max_wait_ms: u64,
    /// The most starts waiting for this bucket at once; one more is throttled.
    pub max_queue: usize,
}

impl Limits {
    /// The built-in limits of each state machine's bucket: 10,000 starts/s,
    /// burst 10,000, wait up to 1 s, at most 10,000 waiting. AWS allows an
    /// account 6,000/s with burst 6,000 for Express StartExecution (reference
    /// §2); a local runtime is more generous, per machine.
    pub const MACHINE_DEFAULT: Limits = Limits {
        rate: 10_000.0,
        burst: 10_000,
        max_wait_ms: 1_000,
        max_queue: 10_000,
    };

    /// The built-in limits of the global bucket: 50,000 starts/s, burst
    /// 50,000, wait up to 1 s, at most 50,000 waiting.
    pub const GLOBAL_DEFAULT: Limits = Limits {
        rate: 50_000.0,
        burst: 50_000,
        max_wait_ms: 1_000,
        max_queue: 50_000,
    };

    /// Checks the ranges.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for a rate outside [`MIN_RATE`]..=[`MAX_RATE`]
    /// (or not a number) or a burst of 0; `what` names the section.
    pub fn validate(&self, what: &str) -> Result<(), ConfigError> {
        if !(MIN_RATE..=MAX_RATE).contains(&self.rate) {
            return Err(ConfigError::Invalid(format!(
                "{what}: rate must be between {MIN_RATE} and {MAX_RATE} per second, got {}",
                self.rate
            )));
        }
        if self.burst == 0 {
            return Err(ConfigError::Invalid(format!(
                "{what}: burst must be at least 1"
            )));
        }
        Ok(())
    }

    /// These limits with the fields `over` sets replaced.
    pub fn with(self, over: &PartialLimits) -> Limits {
        Limits {
            rate: over.rate.unwrap_or(self.rate),
            burst: over.burst.unwrap_or(self.burst),
            max_wait_ms: over.max_wait_ms.unwrap_or(self.max_wait_ms),
            max_queue: over.max_queue.unwrap_or(self.max_queue),
        }
    }
}

/// Some fields of [`Limits`], as a file section or the command-line flags give them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialLimits {
    /// See [`Limits::rate`].
    pub rate: Option<f64>,
    /// See [`Limits::burst`].
    pub burst: Option<u32>,
    /// See [`Limits::max_wait_ms`].
    pub max_wait_ms: Option<u64>,
    /// See [`Limits::max_queue`].
    pub max_queue: Option<usize>,
}

/// The whole admission configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct AdmissionConfig {
    /// Limits of each state machine's own bucket unless `machines` names it.
    pub default: Limits,
    /// Limits of the bucket every start also passes.
    pub global: Limits,
    /// Limits by state machine name.
    pub machines: HashMap<String, Limits>,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        AdmissionConfig {
            default: Limits::MACHINE_DEFAULT,
            global: Limits::GLOBAL_DEFAULT,
            machines: HashMap::new(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// The text is not valid TOML/JSON of the expected shape.
    #[error("{0}")]
    Parse(String),
    /// A value is out of range.
    #[error("{0}")]
    Invalid(String),
}

/// The `admission` section of the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    #[serde(default)]
    default: PartialLimits,
    #[serde(default)]
    global: PartialLimits,
    #[serde(default)]
    machines: HashMap<String, PartialLimits>,
}

/// The file: other top-level sections are left to their owners.
#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    admission: Section,
}

/// The syntax of a configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML (files ending `.toml`).
    Toml,
    /// JSON (any other file).
    Json,
}

impl Format {
    /// The format a file name implies: TOML for `.toml`, JSON otherwise.
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("toml") => Format::Toml,
            _ => Format::Json,
        }
    }
}

impl AdmissionConfig {
    /// Reads the `admission` section of a configuration text and applies it
    /// over the built-in defaults; `default_over` (the command-line flags)
    /// then overrides `default`, and `global_over` overrides `global`. A
    /// machine section falls back to the resulting `default`.
    ///
    /// # Errors
    /// [`ConfigError::Parse`] for bad syntax, unknown fields or wrong types;
    /// [`ConfigError::Invalid`] for out-of-range values.
    pub fn parse(
        text: &str,
        format: Format,
        default_over: &PartialLimits,
        global_over: &PartialLimits,
    ) -> Result<Self, ConfigError> {
        let file: File = match format {
            Format::Toml => toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?,
            Format::Json => {
                serde_json::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?
            }
        };
        Self::build(&file.admission, default_over, global_over)
    }

    /// [`AdmissionConfig::parse`] of a file, in the format its name implies
    /// ([`Format::of`]).
    ///
    /// # Errors
    /// [`ConfigError::Read`] when it cannot be read; otherwise as [`AdmissionConfig::parse`].
    pub fn load(
        path: &Path,
        default_over: &PartialLimits,
        global_over: &PartialLimits,
    ) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::parse(&text, Format::of(path), default_over, global_over)
            .map_err(|e| ConfigError::Parse(format!("{}: {e}", path.display())))
    }

    /// The built-in defaults with the command-line flags applied (no file).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for out-of-range values.
    pub fn from_flags(
        default_over: &PartialLimits,
        global_over: &PartialLimits,
    ) -> Result<Self, ConfigError> {
        Self::build(&Section::default(), default_over, global_over)
    }

    fn build(
        section: &Section,
        default_over: &PartialLimits,
        global_over: &PartialLimits,
    ) -> Result<Self, ConfigError> {
        let default = Limits::MACHINE_DEFAULT
            .with(&section.default)
            .with(default_over);
        default.validate("admission.default")?;
        let global = Limits::GLOBAL_DEFAULT
            .with(&section.global)
            .with(global_over);
        global.validate("admission.global")?;
        let mut machines = HashMap::with_capacity(section.machines.len());
        for (name, over) in &section.machines {
            let limits = default.with(over);
            limits.validate(&format!("admission.machines.{name}"))?;
            machines.insert(name.clone(), limits);
        }
        Ok(AdmissionConfig {
            default,
            global,
            machines,
        })
    }

    /// The limits of the bucket of the state machine named `machine`.
    pub fn limits_of(&self, machine: &str) -> Limits {
        self.machines.get(machine).copied().unwrap_or(self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: PartialLimits = PartialLimits {
        rate: None,
        burst: None,
        max_wait_ms: None,
        max_queue: None,
    };

    #[test]
    fn json_and_toml_files_override_the_defaults() {
        let json = r#"{"other": {"x": 1}, "admission": {"default": {"rate": 5.0},
            "global": {"burst": 7}, "machines": {"payment": {"burst": 3, "max_queue": 2}}}}"#;
        let toml =
            "[other]\nx = 1\n[admission.default]\nrate = 5.0\n[admission.global]\nburst = 7\n\
                    [admission.machines.payment]\nburst = 3\nmax_queue = 2\n";
        for (text, format) in [(json, Format::Json), (toml, Format::Toml)] {
            let c = AdmissionConfig::parse(text, format, &NONE, &NONE).expect("parses");
            assert_eq!(c.default.rate, 5.0);
            assert_eq!(c.default.burst, Limits::MACHINE_DEFAULT.burst);
            assert_eq!(c.global.burst, 7);
            assert_eq!(c.global.rate, Limits::GLOBAL_DEFAULT.rate);
            let p = c.limits_of("payment");
            assert_eq!((p.rate, p.burst, p.max_queue), (5.0, 3, 2));
            assert_eq!(c.limits_of("other"), c.default);
        }
    }

    #[test]
    fn flags_override_the_file_default() {
        let flags = PartialLimits {
            rate: Some(2.0),
            max_wait_ms: Some(50),
            ..NONE
        };
        let c = AdmissionConfig::parse(
            r#"{"admission": {"default": {"rate": 5.0, "burst": 4}}}"#,
            Format::Json,
            &flags,
            &NONE,
        )
        .expect("parses");
        assert_eq!(
            (c.default.rate, c.default.burst, c.default.max_wait_ms),
            (2.0, 4, 50)
        );
        assert_eq!(
            AdmissionConfig::from_flags(&NONE, &NONE).expect("ok"),
            AdmissionConfig::default()
        );
    }

    #[test]
    fn bad_values_and_fields_are_refused() {
        let bad = [
            r#"{"admission": {"default": {"rate": 0}}}"#,
            r#"{"admission": {"global": {"burst": 0}}}"#,
            r#"{"admission": {"machines": {"m": {"rate": -1}}}}"#,
            r#"{"admission": {"default": {"rat": 1}}}"#,
            r#"{"admission": {"default": {"burst": "x"}}}"#,
            r#"{"admission": [1]}"#,
            "not json",
        ];
        for text in bad {
            assert!(
                AdmissionConfig::parse(text, Format::Json, &NONE, &NONE).is_err(),
                "{text}"
            );
        }
        let flags = PartialLimits {
            rate: Some(f64::NAN),
            ..NONE
        };
        assert!(AdmissionConfig::from_flags(&flags, &NONE).is_err());
        assert_eq!(Format::of(Path::new("a/b.TOML")), Format::Toml);
        assert_eq!(Format::of(Path::new("b.json")), Format::Json);
    }
}
