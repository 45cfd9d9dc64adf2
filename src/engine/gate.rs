//! The write gate: the one place kubelift changes files on the host.
//!
//! Every write honours `--root` (host paths are placed under it) and
//! `--dry-run` (writes land in a temporary folder instead, as kubeadm's
//! dry-run does), is atomic (temporary file, fsync, rename, fsync of the
//! directory), sets its mode, keeps a backup before replacing a key or
//! certificate, and is recorded in the journal.

use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::journal::{self, Action, Journal, JournalError, Target};

/// How carefully a file is treated when it is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileClass {
    /// Manifests, kubelet settings: replaced in place.
    Plain,
    /// Keys, certificates and kubeconfigs holding keys: the old content is
    /// backed up before it is replaced, because losing a CA key loses the cluster.
    Sensitive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Created,
    Replaced,
    Unchanged,
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("cannot write {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} must be an absolute host path")]
    NotAbsolute { path: String },
    #[error(transparent)]
    Journal(#[from] JournalError),
}

impl GateError {
    pub fn hint(&self) -> String {
        match self {
            GateError::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
                "run as root, or pass --root DIR to write under another folder".into()
            }
            GateError::Io { .. } => "check that the disk has room and the folder is writable".into(),
            GateError::NotAbsolute { .. } => "this is a bug in kubelift; please report it".into(),
            GateError::Journal(_) => "see the message for the journal's path".into(),
        }
    }
}

pub struct WriteGate {
    root: PathBuf,
    /// Set in dry-run: where writes go instead of `root`. Kept after the run,
    /// as kubeadm keeps its dry-run folder, so that the files can be read.
    dry_dir: Option<PathBuf>,
    workflow: String,
    journal: Mutex<Journal>,
    backup_stamp: String,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> GateError + '_ {
    move |source| GateError::Io { path: path.display().to_string(), source }
}

fn relative(host_path: &str) -> Result<&str, GateError> {
    host_path
        .strip_prefix('/')
        .ok_or_else(|| GateError::NotAbsolute { path: host_path.into() })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl WriteGate {
    /// A gate that writes under `root` and keeps the journal there.
    pub fn apply(root: &Path, workflow: &str) -> Result<Arc<WriteGate>, GateError> {
        let journal = Journal::load(root)?;
        Ok(Arc::new(Self::new(root, None, workflow, journal)))
    }

    /// A gate that writes into a fresh temporary folder and reads the real
    /// host (under `root`) for whatever the run has not written itself.
    pub fn dry_run(root: &Path, workflow: &str) -> Result<Arc<WriteGate>, GateError> {
        let dir = tempfile::Builder::new()
            .prefix("kubelift-dry-run-")
            .tempdir()
            .map_err(io_err(Path::new("the temporary folder")))?
            .keep();
        let journal = Journal::load(root)?;
        Ok(Arc::new(Self::new(root, Some(dir), workflow, journal)))
    }

    fn new(root: &Path, dry_dir: Option<PathBuf>, workflow: &str, journal: Journal) -> WriteGate {
        WriteGate {
            root: root.to_path_buf(),
            dry_dir,
            workflow: workflow.into(),
            journal: Mutex::new(journal),
            backup_stamp: chrono::Utc::now().format("%Y-%m-%d-%H-%M-%S").to_string(),
        }
    }

    pub fn is_dry_run(&self) -> bool {
        self.dry_dir.is_some()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The temporary folder a dry run writes into.
    pub fn dry_run_dir(&self) -> Option<&Path> {
        self.dry_dir.as_deref()
    }

    /// Where a host path is written by this gate.
    pub fn target(&self, host_path: &str) -> Result<PathBuf, GateError> {
        let rel = relative(host_path)?;
        Ok(self.dry_run_dir().unwrap_or(&self.root).join(rel))
    }

    /// Where a host path is read from: in a dry run, what the run wrote, else the host.
    pub fn source(&self, host_path: &str) -> Result<PathBuf, GateError> {
        let written = self.target(host_path)?;
        if self.is_dry_run() && !written.exists() {
            return Ok(self.root.join(relative(host_path)?));
        }
        Ok(written)
    }

    /// Reads a host file; `None` when it does not exist.
    pub fn read(&self, host_path: &str) -> Result<Option<Vec<u8>>, GateError> {
        let path = self.source(host_path)?;
        match fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    pub fn exists(&self, host_path: &str) -> bool {
        self.source(host_path).map(|p| p.exists()).unwrap_or(false)
    }

    /// Creates a directory (and missing parents) with `mode`; an existing one is left as it is.
    pub fn ensure_dir(&self, phase: &str, host_path: &str, mode: u32) -> Result<WriteOutcome, GateError> {
        let path = self.target(host_path)?;
        if path.is_dir() {
            return Ok(WriteOutcome::Unchanged);
        }
        fs::create_dir_all(&path).map_err(io_err(&path))?;
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).map_err(io_err(&path))?;
        self.record(phase, Target::Directory { path: host_path.into() }, Action::Created, |e| {
            e.mode = Some(format!("{mode:04o}"));
        })?;
        Ok(WriteOutcome::Created)
    }

    /// Writes `contents` to `host_path` atomically with `mode`.
    pub fn write(&self, phase: &str, host_path: &str, contents: &[u8], mode: u32, class: FileClass) -> Result<WriteOutcome, GateError> {
        let path = self.target(host_path)?;
        let existing = self.read(host_path)?;
        let same_mode = self.source(host_path).ok().and_then(|p| fs::metadata(p).ok()).is_some_and(|m| m.permissions().mode() & 0o7777 == mode);
        if existing.as_deref() == Some(contents) && same_mode {
            return Ok(WriteOutcome::Unchanged);
        }
        let parent = path.parent().expect("absolute host paths have a parent");
        if !parent.is_dir() {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        let backup = match (&existing, class) {
            (Some(old), FileClass::Sensitive) if old.as_slice() != contents => Some(self.backup(host_path, old)?),
            _ => None,
        };
        atomic_write(&path, contents, mode)?;
        let action = if existing.is_some() { Action::Replaced } else { Action::Created };
        self.record(phase, Target::File { path: host_path.into() }, action, |e| {
            e.sha256 = Some(sha256_hex(contents));
            e.mode = Some(format!("{mode:04o}"));
            e.backup = backup;
        })?;
        Ok(if existing.is_some() { WriteOutcome::Replaced } else { WriteOutcome::Created })
    }

    /// Records an API object change made by a phase (the API client calls this).
    pub fn record_object(&self, phase: &str, target: Target, action: Action, sha256: Option<String>) -> Result<(), GateError> {
        self.record(phase, target, action, |e| e.sha256 = sha256)
    }

    /// Records a host command a phase ran, with the command that undoes it.
    pub fn record_command(&self, phase: &str, argv: &[String], undo: Option<Vec<String>>) -> Result<(), GateError> {
        self.record(phase, Target::Command { argv: argv.to_vec(), undo }, Action::Created, |_| {})
    }

    /// Removes a host file kubelift wrote (undo); a missing file is fine.
    pub fn remove(&self, phase: &str, host_path: &str) -> Result<WriteOutcome, GateError> {
        let path = self.target(host_path)?;
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(WriteOutcome::Unchanged),
            Err(e) => return Err(io_err(&path)(e)),
        }
        if let Some(dir) = path.parent() {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))?;
        }
        self.record(phase, Target::File { path: host_path.into() }, Action::Removed, |_| {})?;
        Ok(WriteOutcome::Replaced)
    }

    /// Copies the old content aside, kubeadm-style, under /etc/kubernetes/tmp.
    fn backup(&self, host_path: &str, old: &[u8]) -> Result<String, GateError> {
        let backup_host = format!("/etc/kubernetes/tmp/kubelift-backup-{}{host_path}", self.backup_stamp);
        let path = self.target(&backup_host)?;
        let dir = path.parent().expect("has a parent");
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let top = self.target(&format!("/etc/kubernetes/tmp/kubelift-backup-{}", self.backup_stamp))?;
        fs::set_permissions(&top, fs::Permissions::from_mode(0o700)).map_err(io_err(&top))?;
        atomic_write(&path, old, 0o600)?;
        Ok(backup_host)
    }

    fn record(&self, phase: &str, target: Target, action: Action, fill: impl FnOnce(&mut journal::Entry)) -> Result<(), GateError> {
        let mut journal = self.journal.lock().expect("journal lock");
        fill(journal.record(&self.workflow, phase, target, action));
        if !self.is_dry_run() {
            self.persist(&journal)?;
        }
        Ok(())
    }

    /// Runs `f` on the journal and saves it (outside a dry run).
    pub fn update_journal<R>(&self, f: impl FnOnce(&mut Journal) -> R) -> Result<R, GateError> {
        let mut journal = self.journal.lock().expect("journal lock");
        let out = f(&mut journal);
        if !self.is_dry_run() {
            self.persist(&journal)?;
        }
        Ok(out)
    }

    pub fn journal(&self) -> Journal {
        self.journal.lock().expect("journal lock").clone()
    }

    fn persist(&self, journal: &Journal) -> Result<(), GateError> {
        let path = journal::journal_file(&self.root);
        // A run that changed nothing leaves no trace: a failed join discovery
        // must leave the host exactly as it was.
        if journal.changes.is_empty() && !path.exists() {
            return Ok(());
        }
        let dir = path.parent().expect("has a parent");
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        atomic_write(&path, &journal.to_json(), 0o600)
    }
}

/// Temporary file in the same directory, fsync, rename over, fsync the directory.
pub fn atomic_write(path: &Path, contents: &[u8], mode: u32) -> Result<(), GateError> {
    let dir = path.parent().expect("has a parent");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.kubelift-{}", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(mode).open(&tmp)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(contents)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_of(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn writes_under_root_with_mode_and_journal() {
        let root = tempfile::tempdir().unwrap();
        let gate = WriteGate::apply(root.path(), "init").unwrap();
        let out = gate.write("certs/ca", "/etc/kubernetes/pki/ca.key", b"k1", 0o600, FileClass::Sensitive).unwrap();
        assert_eq!(out, WriteOutcome::Created);
        let file = root.path().join("etc/kubernetes/pki/ca.key");
        assert_eq!(fs::read(&file).unwrap(), b"k1");
        assert_eq!(mode_of(&file), 0o600);
        let saved = Journal::load(root.path()).unwrap();
        assert_eq!(saved.written_files(), ["/etc/kubernetes/pki/ca.key"]);
        assert_eq!(saved.changes[0].sha256.as_deref(), Some(sha256_hex(b"k1").as_str()));
    }

    #[test]
    fn same_content_is_unchanged_and_unrecorded() {
        let root = tempfile::tempdir().unwrap();
        let gate = WriteGate::apply(root.path(), "init").unwrap();
        gate.write("p", "/a/b", b"x", 0o644, FileClass::Plain).unwrap();
        assert_eq!(gate.write("p", "/a/b", b"x", 0o644, FileClass::Plain).unwrap(), WriteOutcome::Unchanged);
        assert_eq!(gate.journal().changes.len(), 1);
    }

    #[test]
    fn replacing_a_key_keeps_a_backup() {
        let root = tempfile::tempdir().unwrap();
        let gate = WriteGate::apply(root.path(), "init").unwrap();
        gate.write("p", "/etc/kubernetes/pki/ca.key", b"old", 0o600, FileClass::Sensitive).unwrap();
        assert_eq!(gate.write("p", "/etc/kubernetes/pki/ca.key", b"new", 0o600, FileClass::Sensitive).unwrap(), WriteOutcome::Replaced);
        let entry = gate.journal().changes.last().unwrap().clone();
        let backup = entry.backup.expect("a backup is recorded");
        assert_eq!(fs::read(gate.target(&backup).unwrap()).unwrap(), b"old");
        assert_eq!(mode_of(&gate.target(&backup).unwrap()), 0o600);
    }

    #[test]
    fn dry_run_writes_only_in_its_folder_and_reads_through() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("etc")).unwrap();
        fs::write(root.path().join("etc/host-file"), b"host").unwrap();
        let gate = WriteGate::dry_run(root.path(), "init").unwrap();
        gate.write("p", "/etc/kubernetes/admin.conf", b"c", 0o600, FileClass::Sensitive).unwrap();
        assert!(!root.path().join("etc/kubernetes").exists());
        assert!(gate.dry_run_dir().unwrap().join("etc/kubernetes/admin.conf").exists());
        assert_eq!(gate.read("/etc/host-file").unwrap().as_deref(), Some(&b"host"[..]));
        assert!(!journal::journal_file(root.path()).exists());
    }

    #[test]
    fn relative_paths_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let gate = WriteGate::apply(root.path(), "init").unwrap();
        assert!(matches!(gate.write("p", "etc/x", b"", 0o644, FileClass::Plain), Err(GateError::NotAbsolute { .. })));
    }
}
