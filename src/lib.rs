//! kubelift: a guided installer for kubeadm-compatible Kubernetes clusters.
//!
//! One phase engine (`engine`, `phases`) driven by one configuration type
//! (`config`), rendered either by the terminal UI or by the headless mode
//! (`headless`). The engine knows nothing of terminals.

pub mod config;
pub mod secret;
pub mod versions;
pub mod objects;
pub mod engine;
pub mod phases;
pub mod exit;
pub mod headless;
pub mod pki;
pub mod cli;
pub mod tui;
pub mod manifests;
pub mod kubelet;
pub mod cluster;
pub mod diagnose;
pub mod discovery;
pub mod preflight;
pub mod kubeconfig;
pub mod join;
pub mod goyaml;
pub mod tokens;
pub mod reset;
pub mod certs;
pub mod csr;
