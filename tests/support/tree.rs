//! A folder as a map of relative path → what is there (kind, mode, content
//! digest), to compare a root before and after a workflow file by file.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub type Tree = BTreeMap<String, String>;

pub fn snapshot(root: &Path) -> Tree {
    let mut out = Tree::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Tree) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        if meta.is_dir() {
            out.insert(rel, format!("dir {mode:o}"));
            walk(root, &path, out);
        } else if meta.file_type().is_symlink() {
            out.insert(rel, format!("link -> {}", std::fs::read_link(&path).unwrap().display()));
        } else {
            let digest = hex::encode(Sha256::digest(std::fs::read(&path).unwrap_or_default()));
            out.insert(rel, format!("file {mode:o} {digest}"));
        }
    }
}

/// Every path that differs, as `+ added`, `- removed` or `~ changed`.
pub fn diff(before: &Tree, after: &Tree) -> Vec<String> {
    let mut out = vec![];
    for (path, what) in after {
        match before.get(path) {
            None => out.push(format!("+ {path} ({what})")),
            Some(old) if old != what => out.push(format!("~ {path} ({old} -> {what})")),
            _ => {}
        }
    }
    out.extend(before.keys().filter(|p| !after.contains_key(*p)).map(|p| format!("- {p}")));
    out
}
