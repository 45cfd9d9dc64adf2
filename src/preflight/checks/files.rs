//! Files left by an earlier cluster, and programs that must be in PATH.

use super::{Ctx, Finding};
use crate::preflight::host::PathKind;
use crate::preflight::input::EtcdInput;

pub fn file_available(c: &Ctx, path: &str) -> Finding {
    match c.host.path_kind(path) {
        PathKind::Missing => Finding::pass(format!("{path} does not exist yet")),
        _ => Finding::problem(format!("{path} already exists")),
    }
}

pub fn dir_available(c: &Ctx, path: &str) -> Finding {
    match c.host.path_kind(path) {
        PathKind::Missing => Finding::pass(format!("{path} does not exist yet")),
        PathKind::Dir if c.host.dir_entries(path).is_empty() => Finding::pass(format!("{path} is empty")),
        PathKind::Dir => Finding::problem(format!("{path} is not empty")),
        _ => Finding::problem(format!("{path} exists and is not a directory")),
    }
}

pub fn program(c: &Ctx, name: &str) -> Finding {
    match c.host.find_program(name) {
        Some(path) => Finding::pass(format!("{name} found at {path}")),
        None => Finding::problem(format!("{name} not found in system path")),
    }
}

pub fn external_etcd_certificates(c: &Ctx) -> Finding {
    let EtcdInput::External { files, .. } = &c.input.etcd else {
        return Finding::skip("etcd is not external");
    };
    if files.is_empty() {
        return Finding::pass("no client certificates configured (plain-HTTP etcd)");
    }
    let missing: Vec<String> = files
        .iter()
        .filter(|(_, path)| c.host.path_kind(path) != PathKind::File)
        .map(|(field, path)| format!("{path} doesn't exist (etcd.external.{field})"))
        .collect();
    if missing.is_empty() {
        Finding::pass(format!("{} client certificate files present", files.len()))
    } else {
        let paths: Vec<&str> = files.iter().map(|(_, p)| p.as_str()).collect();
        Finding::problem(missing.join("; ")).fix_arg(paths.join(", "))
    }
}
