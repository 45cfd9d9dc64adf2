//! `kubelift certs ...` and `kubelift kubeconfig user`: the command-line face
//! of `crate::certs` (settings from flags, output, exit codes).

use std::sync::Arc;
use std::time::SystemTime;

use super::args::{CertsArgs, CertsCommand, Global, InitArgs, KubeconfigCommand, KubeconfigUserArgs, Output, RenewArgs};
use super::workflow::{init_settings, report_config_errors};
use crate::certs::{self, CertsSettings, EntryStatus, ExpirationReport, KeyDisposition, Problem, RenewOptions, RenewOutcome, RenewReport, UserRequest};
use crate::engine::WriteGate;
use crate::exit;

pub fn run(g: &Global, cmd: CertsCommand) -> u8 {
    match cmd {
        CertsCommand::CheckExpiration(a) => check_expiration(g, &a),
        CertsCommand::Renew(a) => renew(g, &a),
        CertsCommand::CertificateKey => certificate_key(g),
    }
}

pub fn kubeconfig(g: &Global, cmd: KubeconfigCommand) -> u8 {
    match cmd {
        KubeconfigCommand::User(a) => user(g, &a),
    }
}

/// From `--config` (validated as init validates it) or kubeadm's defaults.
fn settings(g: &Global, a: &CertsArgs) -> Result<CertsSettings, u8> {
    let Some(config) = &a.config else {
        return Ok(CertsSettings::defaults(a.cert_dir.as_deref()));
    };
    let init = InitArgs { config: Some(config.clone()), cert_dir: a.cert_dir.clone(), ..InitArgs::default() };
    let resolved = init_settings(&g.root, &init).map_err(|errors| {
        report_config_errors(g, &errors);
        exit::INVALID
    })?;
    CertsSettings::from_init(&resolved).map_err(|p| fail(&p, exit::INVALID))
}

/// Writes to stdout; a reader that went away (`| head`) is not an error worth a panic.
fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Prints a problem (what, which file, the fix) and returns `code`.
fn fail(p: &Problem, code: u8) -> u8 {
    eprintln!("error: {p}");
    code
}

/// A gate that only reads: these commands change nothing.
fn reading_gate(g: &Global) -> Result<Arc<WriteGate>, u8> {
    WriteGate::apply(&g.root, "certs").map_err(|e| fail(&Problem::new(e.to_string(), e.hint()), exit::INVALID))
}

fn check_expiration(g: &Global, a: &CertsArgs) -> u8 {
    let (s, gate) = match settings(g, a).and_then(|s| Ok((s, reading_gate(g)?))) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let report = certs::check_expiration(&gate, &s, SystemTime::now());
    match g.output {
        Output::Json => emit(&format!("{}\n", serde_json::to_string_pretty(&report).expect("the report serializes"))),
        Output::Text => {
            emit(&report.render_text());
            eprint!("{}", attention_text(&report));
        }
    }
    if report.has_problems() {
        exit::PHASE_FAILED
    } else {
        exit::OK
    }
}

/// One line per row that needs attention, with what to do.
fn attention_text(report: &ExpirationReport) -> String {
    let mut out = String::new();
    for e in report.attention() {
        let renew = if e.certificate_authority.is_some() { format!("renew it with `kubelift certs renew {}`", e.name) } else { "CAs are not renewed by kubelift; plan a CA rotation".to_string() };
        let line = match e.status {
            EntryStatus::Ok => continue,
            EntryStatus::ExpiresSoon => format!("warning: {} expires in {} ({}): {renew}", e.name, e.residual.as_deref().unwrap_or_default(), e.expires.as_deref().unwrap_or_default()),
            EntryStatus::Expired => format!("error: {} expired at {}: {renew}", e.name, e.expires.as_deref().unwrap_or_default()),
            EntryStatus::NotYetValid => format!("error: {} is not valid yet (check this machine's clock)", e.name),
            EntryStatus::Missing => format!("error: {} is missing: {} does not exist", e.name, e.file),
            EntryStatus::Invalid => format!("error: {} cannot be read: {}", e.name, e.error.as_deref().unwrap_or_default()),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn renew(g: &Global, a: &RenewArgs) -> u8 {
    let s = match settings(g, &a.certs) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let made = if g.dry_run { WriteGate::dry_run(&g.root, "certs") } else { WriteGate::apply(&g.root, "certs") };
    let gate = match made {
        Ok(gate) => gate,
        Err(e) => return fail(&Problem::new(e.to_string(), e.hint()), exit::INVALID),
    };
    let known = certs::items(&gate, &s);
    if a.name != "all" && !known.iter().any(|i| i.name == a.name) {
        let names: Vec<_> = known.iter().map(|i| i.name).collect();
        return fail(&Problem::new(format!("{:?} is not a certificate of this node", a.name), format!("use one of: {}, or all", names.join(", "))), exit::INVALID);
    }
    let report = match certs::renew(&gate, &s, &a.name, RenewOptions { new_key: a.new_key }, SystemTime::now()) {
        Ok(r) => r,
        Err(p) => return fail(&Problem::new(format!("{}; nothing was written", p.message), p.fix), exit::PHASE_FAILED),
    };
    match g.output {
        Output::Json => emit(&format!("{}\n", serde_json::to_string_pretty(&report).expect("the report serializes"))),
        Output::Text => emit(&renew_text(&report)),
    }
    if report.complete() {
        exit::OK
    } else {
        exit::PHASE_FAILED
    }
}

fn renew_text(report: &RenewReport) -> String {
    let mut out = String::new();
    for r in &report.certificates {
        let line = match &r.outcome {
            RenewOutcome::Renewed { expires, key } => {
                let key = if *key == KeyDisposition::New { "new key" } else { "key kept" };
                format!("[renew] {} renewed: {}, expires {expires} ({key})", r.long_name, r.file)
            }
            RenewOutcome::Missing => format!("[renew] MISSING! {}: {} does not exist; create it with `kubelift phase {}`", r.long_name, r.file, phase_hint(&r.name)),
            RenewOutcome::ExternalCa { ca_certificate } => format!("[renew] Detected external CA {ca_certificate} (its key is not on this node): {} can't be renewed here; have your CA sign a new one", r.long_name),
        };
        out.push_str(&line);
        out.push('\n');
    }
    for w in &report.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    if let Some(dir) = &report.dry_run_dir {
        out.push_str(&format!("\n[dry-run] the renewed files were written under {dir}; nothing on this node changed\n"));
        return out;
    }
    if report.certificates.iter().any(|r| matches!(r.outcome, RenewOutcome::Renewed { .. })) {
        out.push_str(&restart_text(report));
    }
    out
}

fn phase_hint(name: &str) -> String {
    match name.strip_suffix(".conf") {
        Some(file) => format!("kubeconfig/{file}"),
        None => format!("certs/{name}"),
    }
}

/// kubeadm's closing line, then exactly what to restart and how.
fn restart_text(report: &RenewReport) -> String {
    let mut out = String::from("\nDone renewing certificates.");
    if report.restart.is_empty() {
        out.push_str(" No static Pod reads them: nothing needs a restart.\n");
    } else {
        out.push_str(&format!(" You must restart {}, so that they can use the new certificates.\n", report.restart.join(", ")));
        if !report.restarted.is_empty() {
            out.push_str(&format!("kubelift restarted {}: their manifests now carry the renewal time (annotation {}), so the kubelet recreates them.\n", report.restarted.join(", "), crate::certs::RESTARTED_AT));
        }
        for component in report.restart.iter().filter(|c| !report.restarted.contains(c)) {
            out.push_str(&format!("{component} has no manifest under {}/manifests on this node: restart it where it runs.\n", certs::KUBERNETES_DIR));
        }
        out.push_str("On a single control-plane node the API is unavailable while kube-apiserver or etcd restarts.\n");
    }
    if report.certificates.iter().any(|r| r.name.ends_with("admin.conf") && matches!(r.outcome, RenewOutcome::Renewed { .. })) {
        out.push_str("Copies of admin.conf (such as $HOME/.kube/config) still hold the old certificate: copy the file again.\n");
    }
    out
}

/// 32 bytes from the OS random source, hex: the key of `--upload-certs`.
fn certificate_key(g: &Global) -> u8 {
    let mut key = [0u8; 32];
    if aws_lc_rs::rand::fill(&mut key).is_err() {
        return fail(&Problem::new("the system's random source failed", "check /dev/urandom and the kernel's getrandom"), exit::PHASE_FAILED);
    }
    let hex = hex::encode(key);
    match g.output {
        Output::Json => println!("{}", serde_json::json!({ "certificate_key": hex })),
        Output::Text => println!("{hex}"),
    }
    exit::OK
}

fn user(g: &Global, a: &KubeconfigUserArgs) -> u8 {
    let validity = match a.validity_period.as_deref().map(crate::config::duration::parse).transpose() {
        Ok(v) => v,
        Err(e) => return fail(&Problem::new(format!("--validity-period: {e}"), "give a Go duration such as 720h or 8760h0m0s"), exit::INVALID),
    };
    let (s, gate) = match settings(g, &a.certs).and_then(|s| Ok((s, reading_gate(g)?))) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let request = UserRequest { client_name: a.client_name.clone(), organizations: a.org.clone(), validity };
    match certs::user_kubeconfig(&gate, &s, &request, SystemTime::now()) {
        Ok(yaml) => {
            emit(&yaml);
            exit::OK
        }
        Err(p) => fail(&p, exit::PHASE_FAILED),
    }
}
