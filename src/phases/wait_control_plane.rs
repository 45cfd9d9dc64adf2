//! `wait-control-plane`: wait until the static Pods serve (the kubelet when
//! there is one, then the API server, controller-manager and scheduler), and
//! on timeout say which component is down, with its evidence and a diagnosis.

use async_trait::async_trait;
use std::time::{Duration, Instant};

use crate::cluster::Cluster;
use crate::config::InitSettings;
use crate::diagnose::{self, Finding};
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError};

pub struct WaitControlPlane;

const POLL: Duration = Duration::from_millis(500);
const LOG_LINES: usize = 12;

/// A health endpoint of one component.
struct Probe {
    component: &'static str,
    cluster: Cluster,
    path: &'static str,
}

impl Probe {
    async fn check(&self) -> Result<(), String> {
        match self.cluster.get_raw(self.path).await {
            Ok(body) if body.trim() == "ok" || body.contains("readyz check passed") => Ok(()),
            Ok(body) => Err(format!("{} answered {:?}", self.path, body.lines().last().unwrap_or_default())),
            Err(e) => Err(e.detail),
        }
    }
}

fn secure_port(s: &InitSettings, component: &str, default: u16) -> u16 {
    let args = match component {
        "kube-controller-manager" => &s.cluster.controller_manager.extra_args,
        _ => &s.cluster.scheduler.extra_args,
    };
    args.get("secure-port").and_then(|p| p.parse().ok()).unwrap_or(default)
}

async fn probes(ctx: &PhaseCtx<'_>, s: &InitSettings) -> Result<Vec<Probe>, PhaseError> {
    let mut probes = vec![Probe { component: "kube-apiserver", cluster: ctx.cluster().await?.clone(), path: "/readyz" }];
    for (component, default) in [("kube-controller-manager", 10257), ("kube-scheduler", 10259)] {
        let url = format!("https://127.0.0.1:{}", secure_port(s, component, default));
        probes.push(Probe { component, cluster: Cluster::insecure(&url)?, path: "/healthz" });
    }
    Ok(probes)
}

/// The evidence for a component: its static Pod log under /var/log/pods.
fn finding(ctx: &PhaseCtx<'_>, component: &str, health: &str) -> Finding {
    let evidence = ctx.gate().source("/var/log/pods").map(|dir| diagnose::static_pod_log(&dir, component, LOG_LINES)).unwrap_or_default();
    Finding::new(component, health, evidence)
}

/// From v1.29, admin.conf's group `kubeadm:cluster-admins` is bound to
/// cluster-admin by kubeadm the first time it talks to the cluster, with
/// super-admin.conf (admin.conf itself cannot yet do anything).
async fn bind_cluster_admins(ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
    let objects: Vec<serde_json::Value> = super::phase_objects(ctx)?.iter().map(crate::objects::AnyObject::to_json).collect();
    if objects.is_empty() || ctx.gate().is_dry_run() {
        return ctx.apply(&objects).await;
    }
    let path = ctx.gate().source(SUPER_ADMIN_CONF)?;
    let super_admin = Cluster::from_kubeconfig(&path, crate::engine::phase::API_PATIENCE).await?;
    ctx.apply_with(&super_admin, &objects).await
}

const SUPER_ADMIN_CONF: &str = "/etc/kubernetes/super-admin.conf";

fn failure(findings: &[Finding], timeout: Duration) -> PhaseError {
    let mut message = format!("the control plane did not become healthy within {}:", crate::config::duration::format(timeout));
    for f in findings {
        message.push_str(&format!("\n  {}", f.summary()));
        for line in f.evidence.iter().rev().take(3).rev() {
            message.push_str(&format!("\n    | {line}"));
        }
    }
    let hint = findings.iter().map(Finding::fix).collect::<Vec<_>>().join("; ");
    PhaseError::failed(message, hint)
}

#[async_trait]
impl Phase for WaitControlPlane {
    fn id(&self) -> &'static str {
        "wait-control-plane"
    }
    fn title(&self) -> &'static str {
        "Wait for the kubelet to start the control plane"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["control-plane", "etcd/local", "kubelet-start"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        super::planned_objects(ctx, self.id())
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let s = ctx.init()?;
        let timeout = s.control_plane_timeout();
        if ctx.gate().is_dry_run() {
            ctx.log(format!("would wait up to {} for kube-apiserver /readyz, kube-controller-manager and kube-scheduler /healthz", crate::config::duration::format(timeout)));
            return bind_cluster_admins(ctx).await;
        }
        ctx.log(format!("waiting for the kubelet to start the control plane from /etc/kubernetes/manifests (up to {})", crate::config::duration::format(timeout)));
        let probes = probes(ctx, &s).await?;
        let started = Instant::now();
        let mut last_report = Instant::now() - Duration::from_secs(10);
        loop {
            // Concurrently: a probe that hangs must not delay the others' answers.
            let results = futures::future::join_all(probes.iter().map(Probe::check)).await;
            let down: Vec<(&str, String)> = probes.iter().zip(results).filter_map(|(p, r)| r.err().map(|e| (p.component, e))).collect();
            let healthy = (probes.len() - down.len()) as u32;
            if down.is_empty() {
                ctx.progress(healthy, probes.len() as u32, "every control-plane component is healthy");
                ctx.log(format!("all control plane components are healthy after {:.1} s", started.elapsed().as_secs_f64()));
                return bind_cluster_admins(ctx).await;
            }
            if started.elapsed() >= timeout {
                let findings: Vec<Finding> = down.iter().map(|(c, h)| finding(ctx, c, h)).collect();
                return Err(failure(&findings, timeout));
            }
            if last_report.elapsed() >= Duration::from_secs(1) {
                let waiting: Vec<&str> = down.iter().map(|(c, _)| *c).collect();
                ctx.progress(healthy, probes.len() as u32, format!("waiting for {} ({:.0} s)", waiting.join(", "), started.elapsed().as_secs_f64()));
                last_report = Instant::now();
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_names_each_component_with_its_diagnosis() {
        let findings = vec![
            Finding::new("kube-apiserver", "connection refused", vec!["dial tcp 127.0.0.1:2379: connect: connection refused".into()]),
            Finding::new("kube-scheduler", "connection refused", vec![]),
        ];
        let e = failure(&findings, Duration::from_secs(240));
        let text = e.to_string();
        assert!(text.contains("within 4m0s"), "{text}");
        assert!(text.contains("kube-apiserver is down: kube-apiserver cannot reach etcd"), "{text}");
        assert!(text.contains("kube-scheduler is down: nothing listens on its port"), "{text}");
        assert!(e.hint().contains("etcd static Pod"), "{}", e.hint());
    }
}
