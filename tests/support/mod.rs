//! Shared test support. `e2e` is the end-to-end harness: test hosts in
//! network namespaces and a kubelet stand-in that runs static Pods as processes.
//! `tmux` drives the real binary in a real terminal.

#![allow(dead_code)]

pub mod e2e;
pub mod tmux;
pub mod tree;
