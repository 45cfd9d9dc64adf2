//! Configuration errors: every one names its document, field path, bad value and fix.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The document kind (`ClusterConfiguration`), or empty for file-level errors.
    pub document: String,
    /// kubeadm's field path, e.g. `networking.podSubnet`.
    pub path: String,
    /// The offending value as written, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub problem: String,
    pub fix: String,
}

impl FieldError {
    pub fn new(document: &str, path: &str, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        FieldError {
            document: document.into(),
            path: path.into(),
            value: None,
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    pub fn with_value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.document.is_empty() {
            write!(f, "{}: ", self.document)?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        if let Some(v) = &self.value {
            write!(f, "{v:?}: ")?;
        }
        write!(f, "{}", self.problem)?;
        if !self.fix.is_empty() {
            write!(f, " (fix: {})", self.fix)?;
        }
        Ok(())
    }
}

/// All the errors of one configuration, reported together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct ConfigErrors {
    /// The file the errors are in, or a description such as "flags".
    pub file: String,
    pub errors: Vec<FieldError>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        writeln!(f, "{}: {n} error{}", self.file, if n == 1 { "" } else { "s" })?;
        for e in &self.errors {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}
