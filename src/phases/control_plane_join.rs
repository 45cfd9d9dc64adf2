//! The etcd and API-server half of a control-plane join (kubeadm-facts §10.2,
//! §3.6): `check-etcd`, `control-plane-join/etcd`, `wait-control-plane`,
//! `control-plane-join/update-status` and `control-plane-join/mark-control-plane`.
//!
//! etcd membership goes through an existing member's v3 JSON gateway with
//! this node's apiserver-etcd-client certificate (see `crate::cluster::etcd`
//! for why). Existing members are found as kubeadm finds them, from the
//! `kubeadm.kubernetes.io/etcd.advertise-client-urls` annotation of the etcd
//! mirror Pods; where there are none (a kubelet that makes no mirror Pods),
//! from the control-plane Nodes' InternalIP and the API server kubelift
//! discovered, each at the etcd client port.

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Node, Pod};
use std::time::{Duration, Instant};

use super::control_plane_prepare::is_control_plane;
use super::discovery::Discovered;
use super::etcd::DATA_DIR_MODE;
use super::mark_control_plane::MarkControlPlane;
use crate::cluster::etcd::{initial_cluster, EtcdClient, EtcdCredentials, Member, CLIENT_PORT, PEER_PORT};
use crate::cluster::Cluster;
use crate::config::{join_host_port, InitSettings};
use crate::engine::{Change, Context, FileClass, Phase, PhaseCtx, PhaseError};
use crate::manifests::{self, Component, ADVERTISE_CLIENT_URLS_ANNOTATION, MANIFESTS_DIR, MANIFESTS_DIR_MODE, MANIFEST_MODE};

/// How long a new member may take to start and catch up. kubeadm waits 8 × 5 s
/// for the cluster; kubelift allows more, as a kubelet may still pull the image.
const MEMBER_PATIENCE: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(500);

/// The steps of this file act only for a control-plane join with a local
/// (stacked) etcd; says why otherwise.
fn not_here(ctx: &PhaseCtx<'_>, s: Option<&InitSettings>) -> bool {
    if !is_control_plane(ctx.ctx) {
        ctx.debug("skipping: this node joins as a worker");
        return true;
    }
    if s.is_some_and(|s| s.cluster.etcd.external.is_some()) {
        ctx.log("skipping: etcd is external (etcd.external in the cluster's ClusterConfiguration)");
        return true;
    }
    false
}

fn url(ip: &str, port: u16) -> String {
    format!("https://{}", join_host_port(ip, port))
}

fn own_address(s: &InitSettings) -> Result<String, PhaseError> {
    s.advertise_address()
        .map(|a| a.to_string())
        .ok_or_else(|| PhaseError::failed(format!("controlPlane.localAPIEndpoint.advertiseAddress {:?} is not an IP address", s.init.local_api_endpoint.advertise_address), "pass --apiserver-advertise-address with an address of this machine"))
}

/// This node's etcd client certificate and the etcd CA, from the certificates dir.
fn credentials(ctx: &PhaseCtx<'_>, s: &InitSettings) -> Result<EtcdCredentials, PhaseError> {
    let dir = &s.cluster.certificates_dir;
    let read = |name: &str| -> Result<Vec<u8>, PhaseError> {
        let path = format!("{dir}/{name}");
        ctx.gate().read(&path)?.ok_or_else(|| PhaseError::failed(format!("{path} is missing"), "run the control-plane-prepare phases first (download-certs and certs)"))
    };
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    Ok(EtcdCredentials { ca_pem: read("etcd/ca.crt")?, cert_pem: text(read("apiserver-etcd-client.crt")?), key_pem: text(read("apiserver-etcd-client.key")?) })
}

/// The client URLs of the etcd mirror Pods (kubeadm's way).
async fn from_mirror_pods(cluster: &Cluster) -> Vec<String> {
    let api: kube::Api<Pod> = kube::Api::namespaced(cluster.client.clone(), "kube-system");
    let params = kube::api::ListParams::default().labels("component=etcd,tier=control-plane");
    let Ok(pods) = cluster.retry("list the etcd Pods in kube-system", || api.list(&params)).await else { return vec![] };
    pods.items.iter().filter_map(|p| p.metadata.annotations.as_ref()?.get(ADVERTISE_CLIENT_URLS_ANNOTATION).cloned()).collect()
}

/// The etcd client URLs of the control-plane Nodes' InternalIPs.
async fn from_control_plane_nodes(cluster: &Cluster) -> Vec<String> {
    let api: kube::Api<Node> = kube::Api::all(cluster.client.clone());
    let params = kube::api::ListParams::default().labels("node-role.kubernetes.io/control-plane");
    let Ok(nodes) = cluster.retry("list the control-plane Nodes", || api.list(&params)).await else { return vec![] };
    let internal_ips = nodes.items.into_iter().flat_map(|n| n.status.and_then(|s| s.addresses).unwrap_or_default()).filter(|a| a.type_ == "InternalIP");
    internal_ips.map(|a| url(&a.address, CLIENT_PORT)).collect()
}

/// Where existing members may answer, best source first, without this node.
async fn candidates(ctx: &PhaseCtx<'_>, own_client_url: &str) -> Result<Vec<String>, PhaseError> {
    let cluster = ctx.cluster().await?;
    let mut found = from_mirror_pods(cluster).await;
    found.extend(from_control_plane_nodes(cluster).await);
    if let Some(d) = ctx.ctx.get_shared::<Discovered>() {
        if let Some(host) = d.info.server.trim_start_matches("https://").rsplit_once(':').map(|(h, _)| h.trim_start_matches('[').trim_end_matches(']').to_string()) {
            found.push(url(&host, CLIENT_PORT));
        }
    }
    let mut unique: Vec<String> = vec![];
    for u in found {
        if u != own_client_url && !unique.contains(&u) {
            unique.push(u);
        }
    }
    Ok(unique)
}

/// A client of the first existing member that answers, and the member list.
async fn connect_existing(ctx: &PhaseCtx<'_>, s: &InitSettings) -> Result<(EtcdClient, Vec<Member>), PhaseError> {
    let creds = credentials(ctx, s)?;
    let own = url(&own_address(s)?, CLIENT_PORT);
    let mut tried = vec![];
    for endpoint in candidates(ctx, &own).await? {
        let client = EtcdClient::new(&endpoint, &creds).await?;
        match client.members().await {
            Ok(members) => return Ok((client, members)),
            Err(e) => tried.push(format!("{endpoint}: {}", e.detail)),
        }
    }
    Err(PhaseError::failed(
        format!("no existing etcd member answered{}", if tried.is_empty() { String::new() } else { format!(" ({})", tried.join("; ")) }),
        "check that etcd runs on the existing control-plane nodes and that port 2379 is reachable from this node; the etcd CA downloaded with --certificate-key must be the cluster's",
    ))
}

// ---------------------------------------------------------------------------
// check-etcd

pub struct CheckEtcd;

/// One member's health, through its own client URL.
async fn member_health(member: &Member, creds: &EtcdCredentials) -> Result<(), String> {
    let Some(endpoint) = member.client_urls.first() else {
        return Err(format!("member {} ({}) was added but never started", member.id, member.peer_url()));
    };
    let client = EtcdClient::new(endpoint, creds).await.map_err(|e| e.to_string())?;
    match client.healthy().await {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("member {} at {endpoint} reports itself unhealthy", member.name)),
        Err(e) => Err(format!("member {} at {endpoint}: {}", member.name, e.detail)),
    }
}

#[async_trait]
impl Phase for CheckEtcd {
    fn id(&self) -> &'static str {
        "check-etcd"
    }
    fn title(&self) -> &'static str {
        "Check that the etcd cluster is healthy before adding a member"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["control-plane-prepare/certs", "control-plane-prepare/kubeconfig"]
    }
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        vec![]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let s = if is_control_plane(ctx.ctx) { Some(ctx.init()?) } else { None };
        if not_here(ctx, s.as_deref()) {
            return Ok(());
        }
        let s = s.expect("control plane has settings");
        if ctx.gate().is_dry_run() {
            ctx.log("would check the health of every etcd member");
            return Ok(());
        }
        let (client, members) = connect_existing(ctx, &s).await?;
        let own_peer = url(&own_address(&s)?, PEER_PORT);
        let creds = credentials(ctx, &s)?;
        let others: Vec<&Member> = members.iter().filter(|m| m.peer_url() != own_peer).collect();
        let results = futures::future::join_all(others.iter().map(|m| member_health(m, &creds))).await;
        let sick: Vec<String> = results.into_iter().filter_map(Result::err).collect();
        if !sick.is_empty() {
            return Err(PhaseError::failed(
                format!("the etcd cluster is not healthy: {}", sick.join("; ")),
                "adding a member to an unhealthy cluster can cost it its quorum: repair or remove the failed member first (etcdctl member remove ID on a healthy control-plane node)",
            ));
        }
        let names: Vec<&str> = others.iter().map(|m| m.name.as_str()).collect();
        ctx.log(format!("the etcd cluster is healthy ({} via {}): {}", others.len(), client.endpoint, names.join(", ")));
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// control-plane-join/etcd

pub struct JoinEtcd;

/// Adds this node's member unless a previous run already did.
async fn ensure_member(ctx: &PhaseCtx<'_>, client: &EtcdClient, members: Vec<Member>, peer_url: &str) -> Result<Vec<Member>, PhaseError> {
    if members.iter().any(|m| m.peer_url() == peer_url) {
        ctx.log(format!("{peer_url} is already an etcd member (an earlier run added it)"));
        return Ok(members);
    }
    let (added, after) = client.add_member(peer_url).await.map_err(|e| {
        PhaseError::failed(format!("etcd refused to add the member {peer_url} through {}: {}", client.endpoint, e.detail), "etcd refuses a new member while an existing one is down (it would lose quorum): check `check-etcd`'s message and the etcd logs")
    })?;
    ctx.log(format!("added etcd member {} ({peer_url}) through {}", added.id, client.endpoint));
    Ok(after)
}

fn write_member_manifest(ctx: &PhaseCtx<'_>, s: &InitSettings, members: &[(String, String)]) -> Result<(), PhaseError> {
    let dir = manifests::etcd_data_dir(s).unwrap_or("/var/lib/etcd");
    ctx.ensure_dir(dir, DATA_DIR_MODE)?;
    let manifest = manifests::render_joining_etcd(s, members)?;
    ctx.ensure_dir(MANIFESTS_DIR, MANIFESTS_DIR_MODE)?;
    ctx.write(&manifest.path, manifest.yaml.as_bytes(), MANIFEST_MODE, FileClass::Plain)?;
    Ok(())
}

/// Until this node's member answers healthy and the cluster knows it by name.
async fn wait_for_member(ctx: &PhaseCtx<'_>, s: &InitSettings, node: &str) -> Result<(), PhaseError> {
    let endpoint = url(&own_address(s)?, CLIENT_PORT);
    let client = EtcdClient::new(&endpoint, &credentials(ctx, s)?).await?;
    let started = Instant::now();
    let mut last = String::from("no answer yet");
    while started.elapsed() < MEMBER_PATIENCE {
        match (client.healthy().await, client.members().await) {
            (Ok(true), Ok(members)) if members.iter().any(|m| m.name == node) => {
                ctx.log(format!("etcd member {node} is healthy after {:.1} s; the cluster has {} members", started.elapsed().as_secs_f64(), members.len()));
                return Ok(());
            }
            (Ok(true), Ok(_)) => last = "healthy, but the cluster does not list it by name yet".into(),
            (Ok(false), _) => last = "it reports itself unhealthy".into(),
            (Err(e), _) | (_, Err(e)) => last = e.detail,
        }
        ctx.progress(0, 1, format!("waiting for etcd member {node} at {endpoint} ({:.0} s)", started.elapsed().as_secs_f64()));
        tokio::time::sleep(POLL).await;
    }
    Err(PhaseError::failed(
        format!("the new etcd member {node} at {endpoint} did not become healthy within {} s: {last}", MEMBER_PATIENCE.as_secs()),
        "the member is added, so the cluster waits for it: check the etcd static Pod's log (/var/log/pods/kube-system_etcd-*), that port 2380 is reachable between control-plane nodes, and run the phase again (it does not add the member twice)",
    ))
}

#[async_trait]
impl Phase for JoinEtcd {
    fn id(&self) -> &'static str {
        "control-plane-join/etcd"
    }
    fn title(&self) -> &'static str {
        "Add a new local etcd member"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["control-plane-prepare/certs", "control-plane-prepare/kubeconfig"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        if !is_control_plane(ctx) {
            return vec![];
        }
        vec![Change::Command { command: "etcd: add this node as a member (v3 API member/add on an existing member)".into() }, Change::dir("/var/lib/etcd", DATA_DIR_MODE), Change::file(Component::Etcd.path(), MANIFEST_MODE)]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let s = if is_control_plane(ctx.ctx) { Some(ctx.init()?) } else { None };
        if not_here(ctx, s.as_deref()) {
            return Ok(());
        }
        let s = s.expect("control plane has settings");
        let node = s.init.node_registration.name.clone();
        let peer_url = url(&own_address(&s)?, PEER_PORT);
        if ctx.gate().is_dry_run() {
            ctx.log(format!("would add etcd member {node} ({peer_url}) and write {} with --initial-cluster-state=existing", Component::Etcd.path()));
            return Ok(());
        }
        let (client, members) = connect_existing(ctx, &s).await?;
        let members = ensure_member(ctx, &client, members, &peer_url).await?;
        // The cluster now counts this member in its quorum: start it at once.
        write_member_manifest(ctx, &s, &initial_cluster(&members, &node, &peer_url))?;
        wait_for_member(ctx, &s, &node).await
    }
}

// ---------------------------------------------------------------------------
// wait-control-plane (join)

/// Waits for this node's own API server: /readyz at its advertise address with
/// admin.conf's credentials (admin.conf itself points at the control-plane
/// endpoint, which may be another node).
pub struct WaitApiServer;

async fn own_api_server(ctx: &PhaseCtx<'_>, s: &InitSettings) -> Result<Cluster, PhaseError> {
    let path = crate::engine::phase::ADMIN_CONF;
    let text = ctx.gate().read(path)?.ok_or_else(|| PhaseError::failed(format!("{path} is missing"), "run control-plane-prepare/kubeconfig first"))?;
    let mut doc: serde_yaml::Value = serde_yaml::from_slice(&text).map_err(|e| PhaseError::failed(format!("{path} is not YAML: {e}"), "delete it and run control-plane-prepare/kubeconfig again"))?;
    let own = format!("https://{}", join_host_port(&own_address(s)?, s.bind_port()));
    if let Some(clusters) = doc["clusters"].as_sequence_mut() {
        for c in clusters {
            c["cluster"]["server"] = serde_yaml::Value::String(own.clone());
        }
    }
    let yaml = serde_yaml::to_string(&doc).expect("YAML values serialize");
    Ok(Cluster::from_kubeconfig_yaml(&yaml, Duration::from_secs(10)).await?)
}

#[async_trait]
impl Phase for WaitApiServer {
    fn id(&self) -> &'static str {
        "wait-control-plane"
    }
    fn title(&self) -> &'static str {
        "Wait for this node's API server to be ready"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["control-plane-join/etcd"]
    }
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        vec![]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if !is_control_plane(ctx.ctx) {
            ctx.debug("skipping: this node joins as a worker");
            return Ok(());
        }
        let s = ctx.init()?;
        let timeout = s.control_plane_timeout();
        if ctx.gate().is_dry_run() {
            ctx.log(format!("would wait up to {} for this node's kube-apiserver /readyz", crate::config::duration::format(timeout)));
            return Ok(());
        }
        let api = own_api_server(ctx, &s).await?;
        let started = Instant::now();
        loop {
            let health = match api.get_raw("/readyz").await {
                Ok(body) if body.trim() == "ok" => {
                    ctx.log(format!("kube-apiserver at {} is ready after {:.1} s", api.server, started.elapsed().as_secs_f64()));
                    return Ok(());
                }
                Ok(body) => format!("/readyz answered {:?}", body.lines().last().unwrap_or_default()),
                Err(e) => e.detail,
            };
            if started.elapsed() >= timeout {
                let findings = vec![super::wait_control_plane::finding(ctx, "kube-apiserver", &health)];
                return Err(super::wait_control_plane::failure(&findings, timeout));
            }
            ctx.progress(0, 1, format!("waiting for kube-apiserver at {} ({:.0} s)", api.server, started.elapsed().as_secs_f64()));
            tokio::time::sleep(POLL).await;
        }
    }
}

// ---------------------------------------------------------------------------
// control-plane-join/update-status and mark-control-plane

pub struct UpdateStatus;

#[async_trait]
impl Phase for UpdateStatus {
    fn id(&self) -> &'static str {
        "control-plane-join/update-status"
    }
    fn title(&self) -> &'static str {
        "Register the new control-plane node into the ClusterStatus maintained in the kubeadm-config ConfigMap (DEPRECATED)"
    }
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        vec![]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if is_control_plane(ctx.ctx) {
            // As kubeadm since v1.22: ClusterStatus is gone; the etcd Pods are the record.
            ctx.log("nothing to do: ClusterStatus was removed from kubeadm-config; the control-plane nodes are known from their etcd member and Node");
        }
        Ok(())
    }
}

/// init's mark-control-plane with this node's name, under join's phase id.
pub struct JoinMarkControlPlane;

#[async_trait]
impl Phase for JoinMarkControlPlane {
    fn id(&self) -> &'static str {
        "control-plane-join/mark-control-plane"
    }
    fn title(&self) -> &'static str {
        "Mark a node as a control-plane"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["kubelet-start"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        match (is_control_plane(ctx), ctx.cluster_settings()) {
            (true, Some(s)) => vec![Change::Patch { kind: "Node".into(), name: s.init.node_registration.name.clone(), what: "label and taint as a control-plane node".into() }],
            _ => vec![],
        }
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if !is_control_plane(ctx.ctx) {
            ctx.debug("skipping: this node joins as a worker");
            return Ok(());
        }
        MarkControlPlane.run(ctx).await
    }
}

/// The phases after kubelet-start, in kubeadm's order.
pub fn phases() -> Vec<Box<dyn Phase>> {
    vec![Box::new(JoinEtcd), Box::new(WaitApiServer), Box::new(UpdateStatus), Box::new(JoinMarkControlPlane)]
}
