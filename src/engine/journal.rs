//! The journal: every change kubelift made on this host, and how far each
//! workflow got. `reset` undoes from it; a re-run resumes from it.
//!
//! Stored at `<root>/var/lib/kubelift/journal.json` and rewritten atomically
//! after every change, so a crash loses at most the change in flight.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const JOURNAL_SCHEMA: &str = "kubelift.journal/v1";
pub const JOURNAL_PATH: &str = "/var/lib/kubelift/journal.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    File { path: String },
    Directory { path: String },
    Object {
        api_version: String,
        kind: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        name: String,
    },
    /// A host command that changed kernel or service state (modprobe, sysctl,
    /// swapoff, systemctl restart), with the command that undoes it.
    Command {
        argv: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        undo: Option<Vec<String>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Replaced,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub time: String,
    pub workflow: String,
    pub phase: String,
    pub target: Target,
    pub action: Action,
    /// SHA-256 of what was written (hex), so reset can tell whether a file is
    /// still ours before deleting it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Where the previous content was kept, for files that were replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    /// Set once the change has been undone (preflight fixes), so it is not undone twice.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub undone: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Running,
    Failed,
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowState {
    pub status: Status,
    /// Fingerprint of the configuration the workflow ran with (secrets excluded).
    pub config_sha256: String,
    pub started: String,
    pub updated: String,
    /// Phase id → when it completed.
    #[serde(default)]
    pub phases_done: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_phase: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub schema: String,
    #[serde(default)]
    pub workflows: BTreeMap<String, WorkflowState>,
    #[serde(default)]
    pub changes: Vec<Entry>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal { schema: JOURNAL_SCHEMA.into(), workflows: BTreeMap::new(), changes: vec![] }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot read the journal {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the journal {path} is damaged ({source}); move it aside to start over, but note that reset then falls back to kubeadm's standard paths")]
    Corrupt { path: PathBuf, source: serde_json::Error },
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Journal {
    /// Loads the journal under `root`; a missing journal is an empty one.
    pub fn load(root: &Path) -> Result<Journal, JournalError> {
        let path = journal_file(root);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| JournalError::Corrupt { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Journal::default()),
            Err(source) => Err(JournalError::Read { path, source }),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("journal serializes");
        bytes.push(b'\n');
        bytes
    }

    pub fn record(&mut self, workflow: &str, phase: &str, target: Target, action: Action) -> &mut Entry {
        let seq = self.changes.last().map_or(1, |e| e.seq + 1);
        self.changes.push(Entry {
            seq,
            time: now(),
            workflow: workflow.into(),
            phase: phase.into(),
            target,
            action,
            sha256: None,
            mode: None,
            backup: None,
            undone: false,
        });
        self.changes.last_mut().expect("just pushed")
    }

    /// Files written, in order, each once (the last write wins).
    pub fn written_files(&self) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = vec![];
        for e in self.changes.iter().rev() {
            // A later removal hides the earlier writes: the file is gone.
            if let Target::File { path } = &e.target {
                if seen.insert(path.clone()) && e.action != Action::Removed {
                    out.push(path.clone());
                }
            }
        }
        out.reverse();
        out
    }
}

pub fn journal_file(root: &Path) -> PathBuf {
    root.join(JOURNAL_PATH.trim_start_matches('/'))
}
