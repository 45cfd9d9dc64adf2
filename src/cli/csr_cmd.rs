//! `kubelift csr list|approve|deny|watch`: the CSR judge, headless.
//! Output contracts are in docs/csr.md.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};
use serde_json::json;

use super::args::{CsrAction, CsrArgs, Global, Output};
use super::workflow;
use crate::cluster::{Cluster, ClusterError, ErrorClass};
use crate::csr::actions::{self, Action, Kind, Options, Outcome, Report};
use crate::csr::approver::{Approver, Planned, WatchPolicy};
use crate::csr::live::{self, Update};
use crate::csr::model::{CsrList, Entry, Filter, Scope};
use crate::csr::policy::{self, Nodes, Policy, Verdict};
use crate::csr::Level;
use crate::exit;

/// The JSON schema name of `csr list --output json` (docs/csr.md).
const LIST_SCHEMA: &str = "kubelift.csr/v1";
/// How long API calls are retried when the server is briefly unavailable.
const PATIENCE: Duration = Duration::from_secs(30);

/// `kubelift csr` alone at a terminal: the CSR screen, with the same
/// kubeconfig search and check settings as the subcommands.
pub fn screen(g: &Global, args: &CsrArgs, log_file: Option<&Path>) -> u8 {
    match check_policy(args) {
        Ok(checks) => crate::tui::csr(g, args.kubeconfig.clone(), checks, log_file),
        Err(e) => invalid(&e),
    }
}

pub fn run(g: &Global, args: &CsrArgs) -> u8 {
    let Some(action) = &args.action else {
        return invalid("`kubelift csr` needs a subcommand here: list, approve, deny or watch (the screen opens only at a terminal, without --non-interactive or --output json)\n  hint: `kubelift csr list --pending` shows what waits; `kubelift csr --help` lists every flag");
    };
    let checks = match check_policy(args) {
        Ok(p) => p,
        Err(e) => return invalid(&e),
    };
    let watch_policy = match action {
        CsrAction::Watch { policy, .. } => match policy.parse::<WatchPolicy>() {
            Ok(p) => Some(p),
            Err(e) => return invalid(&format!("--policy: {e}")),
        },
        _ => None,
    };
    let kubeconfig = match kubeconfig_path(&g.root, args.kubeconfig.as_deref()) {
        Ok(p) => p,
        Err(e) => return invalid(&e),
    };
    workflow::runtime().block_on(async {
        let cluster = match Cluster::from_kubeconfig(&kubeconfig, PATIENCE).await {
            Ok(c) => c,
            Err(e) => return api_failure(&e, Some(&kubeconfig)),
        };
        match action {
            CsrAction::List { pending, signer } => list(g, &cluster, checks, *pending, signer.clone()).await,
            CsrAction::Approve { names, all_passing, signer, force, concurrency } => {
                let request = ApproveRequest { names, all_passing: *all_passing, signer: signer.as_deref(), force, concurrency: *concurrency };
                approve(g, &cluster, checks, request).await
            }
            CsrAction::Deny { names, reason } => deny(g, &cluster, checks, names, reason).await,
            CsrAction::Watch { signer, .. } => watch(g, &cluster, checks, watch_policy.expect("parsed above"), signer.clone()).await,
        }
    })
}

fn invalid(message: &str) -> u8 {
    eprintln!("error: {message}");
    exit::INVALID
}

fn api_failure(e: &ClusterError, kubeconfig: Option<&Path>) -> u8 {
    eprintln!("error: {e}");
    eprintln!("  hint: {}", kubeconfig_fix(e, kubeconfig));
    exit::PHASE_FAILED
}

/// What to do about a failure to use the cluster (the CLI's hint, the screen's fix).
pub(crate) fn kubeconfig_fix(e: &ClusterError, kubeconfig: Option<&Path>) -> String {
    match (e.class, kubeconfig) {
        (ErrorClass::Other, Some(k)) => format!("kubelift could not use {}: check that it exists and is readable (admin.conf is root's, mode 0600), or give another with --kubeconfig", k.display()),
        _ => e.hint(),
    }
}

/// --kubeconfig, else admin.conf under --root, else the first file $KUBECONFIG names.
pub(crate) fn kubeconfig_path(root: &Path, flag: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    let admin = root.join("etc/kubernetes/admin.conf");
    if admin.is_file() {
        return Ok(admin);
    }
    let from_env = std::env::var_os("KUBECONFIG").map(|v| std::env::split_paths(&v).collect::<Vec<_>>()).unwrap_or_default();
    from_env.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        format!("no kubeconfig to act with: {} does not exist and $KUBECONFIG names no file; give one with --kubeconfig", admin.display())
    })
}

/// The policy file, then the flags on top of it.
fn check_policy(args: &CsrArgs) -> Result<Policy, String> {
    let mut p = match &args.policy_file {
        Some(path) => Policy::from_file(path)?,
        None => Policy::default(),
    };
    if let Some(d) = &args.max_duration {
        p.max_duration = policy::parse_duration(d).map_err(|e| format!("--max-duration: {e}"))?;
    }
    for r in &args.allowed_ip_ranges {
        p.allowed_ip_ranges.push(policy::parse_range(r).map_err(|e| format!("--allowed-ip-range: {e}"))?);
    }
    for s in &args.allowed_dns_suffixes {
        p.allowed_dns_suffixes.push(policy::parse_suffix(s).map_err(|e| format!("--allowed-dns-suffix: {e}"))?);
    }
    Ok(p)
}

/// Every CSR and Node, judged: one LIST of each.
async fn snapshot(cluster: &Cluster, checks: Policy) -> Result<CsrList, ClusterError> {
    let csrs: Api<CertificateSigningRequest> = Api::all(cluster.client.clone());
    let params = ListParams::default();
    let items = cluster.retry("list CertificateSigningRequests", || csrs.list(&params)).await?.items;
    let nodes: Api<Node> = Api::all(cluster.client.clone());
    let node_items = match cluster.retry("list Nodes", || nodes.list(&params)).await {
        Ok(l) => l.items,
        // Without Nodes every serving request fails its node check, which the verdicts say.
        Err(e) if e.class == ErrorClass::Forbidden => {
            eprintln!("warning: {e}: serving requests cannot be checked against their Nodes");
            Vec::new()
        }
        Err(e) => return Err(e),
    };
    let mut list = CsrList::new(checks);
    list.load(items, Nodes::from_list(&node_items));
    Ok(list)
}

// ---- list ----

async fn list(g: &Global, cluster: &Cluster, checks: Policy, pending: bool, signer: Option<String>) -> u8 {
    let mut model = match snapshot(cluster, checks).await {
        Ok(m) => m,
        Err(e) => return api_failure(&e, None),
    };
    model.set_filter(Filter { scope: if pending { Scope::Pending } else { Scope::All }, signer, text: String::new() });
    let now = Utc::now();
    let entries = model.visible();
    match g.output {
        Output::Json => println!("{}", json!({ "schema": LIST_SCHEMA, "items": entries.iter().map(|e| entry_json(e, now)).collect::<Vec<_>>() })),
        Output::Text => print!("{}", table(&entries, now, g.verbose > 0)),
    }
    exit::OK
}

/// The documented item shape (docs/csr.md, "csr list").
pub fn entry_json(e: &Entry, now: chrono::DateTime<Utc>) -> serde_json::Value {
    let r = &e.request;
    let decoded = r.decoded.as_ref().as_ref().ok();
    json!({
        "name": r.name,
        "created": r.created.map(|c| c.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "age_seconds": r.created.map(|c| (now - c).num_seconds().max(0)),
        "signer": r.signer,
        "requestor": { "username": r.username, "groups": r.groups },
        "subject": { "common_name": decoded.and_then(|d| d.common_name()), "organizations": decoded.map(|d| d.organizations.clone()).unwrap_or_default() },
        "sans": decoded.map(|d| json!({
            "dns": d.sans.dns, "ip": d.sans.ips.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
            "email": d.sans.emails, "uri": d.sans.uris, "other": d.sans.other })),
        "key": decoded.map(|d| json!({ "type": d.key.kind(), "bits": d.key.bits(), "curve": match &d.key { crate::csr::KeyInfo::Ecdsa { curve, .. } => Some(curve.clone()), _ => None } })),
        "usages": r.usages,
        "requested_duration_seconds": r.expiration_seconds,
        "condition": r.state,
        "verdict": e.verdict,
    })
}

fn short_signer(s: &str) -> &str {
    s.strip_prefix("kubernetes.io/").unwrap_or(s)
}

/// The text of `csr list`: aligned columns, and under each row the checks
/// that did not pass (every check with `every_check`).
fn table(entries: &[&Entry], now: chrono::DateTime<Utc>, every_check: bool) -> String {
    if entries.is_empty() {
        return "No certificate signing requests.\n".into();
    }
    let header = ["NAME", "AGE", "SIGNER", "REQUESTOR", "SUBJECT", "SANS", "KEY", "DURATION", "CONDITION", "VERDICT"];
    let rows: Vec<[String; 10]> = entries.iter().map(|e| table_row(e, now)).collect();
    let widths: Vec<usize> = (0..header.len()).map(|i| rows.iter().map(|r| r[i].len()).chain([header[i].len()]).max().unwrap_or(0)).collect();
    let line = |cells: &[String]| cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ").trim_end().to_string();
    let mut out = line(&header.map(String::from)) + "\n";
    for (e, row) in entries.iter().zip(&rows) {
        out += &(line(row) + "\n");
        let shown: Vec<_> = if every_check { e.verdict.checks.iter().collect() } else { e.verdict.problems() };
        for c in shown {
            out += &format!("    {} {}: {}\n", c.level.label(), c.id, c.detail);
        }
    }
    out
}

fn table_row(e: &Entry, now: chrono::DateTime<Utc>) -> [String; 10] {
    let r = &e.request;
    let decoded = r.decoded.as_ref().as_ref().ok();
    let subject = decoded.map(|d| format!("CN={} O={}", d.common_name().unwrap_or("?"), d.organizations.join(","))).unwrap_or_else(|| "-".into());
    let sans = decoded.map(|d| d.sans.describe().join(",")).filter(|s| !s.is_empty()).unwrap_or_else(|| "-".into());
    [
        r.name.clone(),
        r.created.map(|c| crate::csr::model::age(now - c)).unwrap_or_else(|| "-".into()),
        short_signer(&r.signer).to_string(),
        r.username.clone(),
        subject,
        sans,
        decoded.map(|d| d.key.to_string()).unwrap_or_else(|| "-".into()),
        r.expiration_seconds.map(|s| crate::config::duration::format(Duration::from_secs(s.max(0) as u64))).unwrap_or_else(|| "-".into()),
        r.state.label().to_string(),
        e.verdict.level.label().to_string(),
    ]
}

// ---- approve / deny ----

struct ApproveRequest<'a> {
    names: &'a [String],
    all_passing: bool,
    signer: Option<&'a str>,
    force: &'a [String],
    concurrency: usize,
}

/// Why a named request is not written, or the action for it.
enum Target {
    Write(Action),
    Refuse { name: String, why: String },
}

async fn approve(g: &Global, cluster: &Cluster, checks: Policy, req: ApproveRequest<'_>) -> u8 {
    if let Some(stray) = req.force.iter().find(|f| !req.names.contains(f)) {
        return invalid(&format!("--force {stray} names a request that is not among the names to approve; name it too (--all-passing never approves a failing request)"));
    }
    let mut model = match snapshot(cluster, checks).await {
        Ok(m) => m,
        Err(e) => return api_failure(&e, None),
    };
    let targets = if req.all_passing {
        all_passing(&mut model, req.signer)
    } else {
        match named(&model, req.names, |e| approve_target(e, req.signer, req.force)) {
            Ok(t) => t,
            Err(code) => return code,
        }
    };
    if targets.is_empty() {
        println!("No pending request passes every check{}; nothing to approve.", req.signer.map(|s| format!(" for signer {s}")).unwrap_or_default());
        return exit::OK;
    }
    write_all(g, cluster, targets, Kind::Approve, req.concurrency).await
}

fn all_passing(model: &mut CsrList, signer: Option<&str>) -> Vec<Target> {
    model.set_filter(Filter { scope: Scope::Pending, signer: signer.map(String::from), text: String::new() });
    model
        .visible()
        .into_iter()
        .filter(|e| e.verdict.passed())
        .map(|e| Target::Write(Action { kind: Kind::Approve, object: e.request.object.clone(), message: format!("approved by kubelift csr approve --all-passing: {}", e.verdict.summary()) }))
        .collect()
}

/// A named request is approved when it passes, or only warns (a person named
/// it), or fails but is also named by --force.
fn approve_target(e: &Entry, signer: Option<&str>, force: &[String]) -> Target {
    let r = &e.request;
    if let Some(s) = signer.filter(|s| *s != r.signer) {
        return Target::Refuse { name: r.name.clone(), why: format!("its signer is {}, not {s} (--signer)", r.signer) };
    }
    let forced = force.contains(&r.name);
    let message = match e.verdict.level {
        Level::Pass => format!("approved by kubelift csr approve: {}", e.verdict.summary()),
        Level::Warn => format!("approved by name with kubelift csr approve despite: {}", e.verdict.summary()),
        Level::Fail if forced => format!("approved with kubelift csr approve --force despite: {}", e.verdict.summary()),
        Level::Fail => {
            let why = format!("it fails checks: {}\n  hint: read the request (`kubelift csr list -v`); if it is still right to approve, add --force {}", e.verdict.summary(), r.name);
            return Target::Refuse { name: r.name.clone(), why };
        }
    };
    Target::Write(Action { kind: Kind::Approve, object: r.object.clone(), message })
}

/// Resolves names; every unknown name is reported and nothing is written.
fn named(model: &CsrList, names: &[String], target: impl Fn(&Entry) -> Target) -> Result<Vec<Target>, u8> {
    let missing: Vec<&String> = names.iter().filter(|n| model.get(n).is_none()).collect();
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        eprintln!("error: no certificate signing request named {}; nothing was written\n  hint: `kubelift csr list` shows the names (the controller-manager deletes requests after 1 h once decided, 24 h while pending)", list.join(", "));
        return Err(exit::INVALID);
    }
    let mut seen = std::collections::HashSet::new();
    Ok(names.iter().filter(|n| seen.insert(n.as_str())).filter_map(|n| model.get(n)).map(target).collect())
}

async fn deny(g: &Global, cluster: &Cluster, checks: Policy, names: &[String], reason: &str) -> u8 {
    if reason.trim().is_empty() {
        return invalid("--reason is empty: say why, the requester reads it in the Denied condition");
    }
    let model = match snapshot(cluster, checks).await {
        Ok(m) => m,
        Err(e) => return api_failure(&e, None),
    };
    let targets = match named(&model, names, |e| Target::Write(Action { kind: Kind::Deny, object: e.request.object.clone(), message: reason.to_string() })) {
        Ok(t) => t,
        Err(code) => return code,
    };
    write_all(g, cluster, targets, Kind::Deny, 32).await
}

/// Writes the actions concurrently, prints one line (or JSON object) per
/// request as it finishes, then a summary; exit 1 when any was not written.
async fn write_all(g: &Global, cluster: &Cluster, targets: Vec<Target>, kind: Kind, concurrency: usize) -> u8 {
    let started = Instant::now();
    let total = targets.len();
    let mut failures = 0;
    let mut actions = Vec::new();
    for t in targets {
        match t {
            Target::Write(a) => actions.push(a),
            Target::Refuse { name, why } => {
                failures += 1;
                print_refusal(g, &name, kind, &why);
            }
        }
    }
    let options = Options { concurrency, dry_run: g.dry_run };
    let mut done = 0;
    let mut reports = std::pin::pin!(actions::execute(cluster, actions, options));
    while let Some(report) = reports.next().await {
        if report.ok() {
            done += 1;
        } else {
            failures += 1;
        }
        print_report(g, &report);
    }
    if g.output == Output::Text {
        let dry = if g.dry_run { " (dry run: the API server validated and stored nothing)" } else { "" };
        eprintln!("{} {done} of {total} in {:.2} s, {} at a time{dry}", kind.past(), started.elapsed().as_secs_f64(), concurrency.max(1));
    }
    if failures == 0 {
        exit::OK
    } else {
        exit::PHASE_FAILED
    }
}

fn print_refusal(g: &Global, name: &str, kind: Kind, why: &str) {
    match g.output {
        Output::Json => println!("{}", json!({ "csr": name, "action": kind, "outcome": "refused", "detail": why })),
        Output::Text => eprintln!("{name} not {}: {why}", kind.past()),
    }
}

fn print_report(g: &Global, r: &Report) {
    match g.output {
        Output::Json => println!("{}", report_json(r, g.dry_run)),
        Output::Text if r.ok() => println!("{}", r.describe(g.dry_run)),
        Output::Text => eprintln!("{}", r.describe(g.dry_run)),
    }
}

fn report_json(r: &Report, dry_run: bool) -> serde_json::Value {
    let (outcome, detail) = match &r.outcome {
        Outcome::Done => ("done", None),
        Outcome::Unchanged => ("unchanged", None),
        Outcome::Refused(why) => ("refused", Some(why.clone())),
        Outcome::Failed(e) => ("failed", Some(format!("{e} (hint: {})", e.hint()))),
    };
    json!({ "csr": r.name, "action": r.kind, "outcome": outcome, "detail": detail, "attempts": r.attempts, "dry_run": dry_run })
}

// ---- watch ----

async fn watch(g: &Global, cluster: &Cluster, checks: Policy, policy: WatchPolicy, signer: Option<String>) -> u8 {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut sigint), Ok(mut sigterm)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return invalid("cannot install the SIGINT/SIGTERM handlers");
    };
    let scope = signer.clone().unwrap_or_else(|| "every signer".into());
    eprintln!("kubelift csr watch: policy {} for {scope} at {}{}; stop with Ctrl-C or SIGTERM", policy.as_str(), cluster.server, if g.dry_run { " (dry run)" } else { "" });
    let mut approver = Approver::new(policy, signer, checks);
    let mut updates = live::updates(cluster).boxed();
    let mut writes = FuturesUnordered::new();
    let mut synced = false;
    let stop = loop {
        tokio::select! {
            _ = sigint.recv() => break "SIGINT",
            _ = sigterm.recv() => break "SIGTERM",
            Some((report, verdict)) = writes.next(), if !writes.is_empty() => {
                let (report, verdict): (Report, Verdict) = (report, verdict);
                approver.finished(&report.name);
                log_write(g, &approver, &report, &verdict);
            }
            update = updates.next() => {
                let Some(update) = update else { break "the end of the watch" };
                if let Update::WatchError(e) = &update {
                    log_error(g, e);
                    if !synced && (e.contains("401") || e.contains("403") || e.contains("Forbidden") || e.contains("Unauthorized")) {
                        eprintln!("  hint: the kubeconfig's identity may not list and watch CertificateSigningRequests and Nodes; use admin.conf");
                        return exit::PHASE_FAILED;
                    }
                }
                synced |= matches!(update, Update::CsrSynced);
                for planned in approver.update(update) {
                    match planned {
                        Planned::Write(action, verdict) => {
                            let dry_run = g.dry_run;
                            writes.push(async move { (actions::execute_one(cluster, action, dry_run).await, verdict) });
                        }
                        Planned::Leave { name, signer, requestor, verdict, why } => log_leave(g, policy, &name, &signer, &requestor, &verdict, &why),
                    }
                }
            }
        }
    };
    // Decisions already sent are finished, so none is left half-known.
    while let Some((report, verdict)) = writes.next().await {
        log_write(g, &approver, &report, &verdict);
    }
    eprintln!("kubelift csr watch: stopped on {stop}");
    exit::OK
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn log_error(g: &Global, e: &str) {
    match g.output {
        Output::Json => println!("{}", json!({ "time": now_text(), "decision": "watch_error", "detail": e })),
        Output::Text => eprintln!("{} watch error (retrying): {e}", now_text()),
    }
}

fn log_leave(g: &Global, policy: WatchPolicy, name: &str, signer: &str, requestor: &str, verdict: &Verdict, why: &str) {
    let decision = if policy == WatchPolicy::Queue { "queued" } else { "left_pending" };
    match g.output {
        Output::Json => println!("{}", json!({ "time": now_text(), "decision": decision, "csr": name, "signer": signer, "requestor": requestor, "verdict": verdict, "detail": why })),
        Output::Text => println!("{} {decision} {name} ({}, {requestor}; {}): {why}", now_text(), short_signer(signer), verdict.level.label()),
    }
}

fn log_write(g: &Global, approver: &Approver, r: &Report, verdict: &Verdict) {
    let entry = approver.list().get(&r.name);
    let signer = entry.map(|e| e.request.signer.clone()).unwrap_or_default();
    let requestor = entry.map(|e| e.request.username.clone()).unwrap_or_default();
    let decision = match &r.outcome {
        Outcome::Done => r.kind.past(),
        Outcome::Unchanged => "unchanged",
        Outcome::Refused(_) => "refused",
        Outcome::Failed(_) => "error",
    };
    match g.output {
        Output::Json => {
            let mut v = report_json(r, g.dry_run);
            v["time"] = json!(now_text());
            v["decision"] = json!(decision);
            v["signer"] = json!(signer);
            v["requestor"] = json!(requestor);
            v["verdict"] = serde_json::to_value(verdict).unwrap_or_default();
            println!("{v}");
        }
        Output::Text => println!("{} {decision} {} ({}, {requestor}; {}): {}", now_text(), r.name, short_signer(&signer), verdict.level.label(), match &r.outcome {
            Outcome::Done | Outcome::Unchanged => verdict.summary(),
            Outcome::Refused(why) => why.clone(),
            Outcome::Failed(e) => format!("{e} (hint: {})", e.hint()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::policy::NodeFacts;
    use crate::csr::request::{build, RequestSpec};
    use k8s_openapi::api::certificates::v1::CertificateSigningRequestSpec;

    fn serving(name: &str, ip: &str) -> CertificateSigningRequest {
        let key = crate::pki::generate_key(crate::pki::KeyAlgorithm::EcdsaP256).unwrap();
        let pem = build(&RequestSpec::kubelet_serving("cp1", &["cp1"], &[ip.parse().unwrap()]), &key).unwrap();
        CertificateSigningRequest {
            metadata: kube::api::ObjectMeta { name: Some(name.into()), uid: Some(name.into()), ..Default::default() },
            spec: CertificateSigningRequestSpec {
                request: k8s_openapi::ByteString(pem.into_bytes()),
                signer_name: crate::csr::KUBELET_SERVING.into(),
                username: Some("system:node:cp1".into()),
                groups: Some(vec!["system:nodes".into()]),
                usages: Some(["digital signature", "key encipherment", "server auth"].map(String::from).to_vec()),
                ..Default::default()
            },
            status: None,
        }
    }

    #[test]
    fn the_text_table_shows_problems_under_their_row() {
        let mut nodes = Nodes::default();
        nodes.insert(NodeFacts { name: "cp1".into(), addresses: vec![("InternalIP".into(), "10.0.0.2".into())] });
        let mut list = CsrList::new(Policy::default());
        list.load(vec![serving("good", "10.0.0.2"), serving("bad", "10.0.0.9")], nodes);
        list.set_sort(crate::csr::model::Sort { key: crate::csr::model::SortKey::Name, descending: false });
        let text = table(&list.visible(), Utc::now(), false);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAME  AGE  SIGNER") && lines[0].ends_with("VERDICT"), "{text}");
        assert!(lines[1].starts_with("bad ") && lines[1].contains("kubelet-serving") && lines[1].contains("DNS:cp1,IP:10.0.0.9") && lines[1].ends_with("fail"), "{text}");
        assert!(lines[2].starts_with("    fail ip-addresses: 10.0.0.9 not an address of Node cp1"), "{text}");
        assert!(lines[3].starts_with("good") && lines[3].contains("ECDSA-P-256") && lines[3].contains("Pending") && lines[3].ends_with("pass"), "{text}");
        assert_eq!(lines.len(), 4, "{text}");
        let json = entry_json(list.get("bad").unwrap(), Utc::now());
        assert_eq!(json["verdict"]["result"], "fail");
        assert_eq!(json["sans"]["ip"][0], "10.0.0.9");
    }

    #[test]
    fn kubeconfig_prefers_the_flag_then_admin_conf() {
        let root = tempfile::tempdir().unwrap();
        let flag = Path::new("/x/given.conf");
        assert_eq!(kubeconfig_path(root.path(), Some(flag)).unwrap(), flag);
        std::fs::create_dir_all(root.path().join("etc/kubernetes")).unwrap();
        std::fs::write(root.path().join("etc/kubernetes/admin.conf"), "x").unwrap();
        assert_eq!(kubeconfig_path(root.path(), None).unwrap(), root.path().join("etc/kubernetes/admin.conf"));
    }
}
