//! The cluster's CSRs and Nodes as they change: two kube-runtime watchers
//! merged into one stream of [`Update`]s, which [`super::model::CsrList::apply`]
//! and the approver of `kubelift csr watch` consume. Watch errors are passed
//! on (for a status line) while the watchers retry with backoff.

use futures::{Stream, StreamExt};
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use k8s_openapi::api::core::v1::Node;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;

use super::policy::NodeFacts;
use crate::cluster::Cluster;

// Updates pass one at a time from the watch to the model, never stored in
// bulk, so boxing the large CSR variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Update {
    /// The CSR watch (re)started: the applied CSRs up to `CsrSynced` are the full set.
    CsrRestarted,
    CsrApplied(CertificateSigningRequest),
    CsrDeleted(String),
    CsrSynced,
    NodeRestarted,
    NodeApplied(NodeFacts),
    NodeDeleted(String),
    NodesSynced,
    /// A watch failed; it is retried with backoff.
    WatchError(String),
}

/// Every CSR and Node change, from a full listing on.
pub fn updates(cluster: &Cluster) -> impl Stream<Item = Update> + Send + 'static {
    let csrs = watcher::watcher(Api::<CertificateSigningRequest>::all(cluster.client.clone()), watcher::Config::default()).default_backoff().map(|e| match e {
        Ok(Event::Init) => Update::CsrRestarted,
        Ok(Event::InitApply(o)) | Ok(Event::Apply(o)) => Update::CsrApplied(o),
        Ok(Event::Delete(o)) => Update::CsrDeleted(o.metadata.name.unwrap_or_default()),
        Ok(Event::InitDone) => Update::CsrSynced,
        Err(e) => Update::WatchError(format!("watching CertificateSigningRequests: {e}")),
    });
    let nodes = watcher::watcher(Api::<Node>::all(cluster.client.clone()), watcher::Config::default()).default_backoff().map(|e| match e {
        Ok(Event::Init) => Update::NodeRestarted,
        Ok(Event::InitApply(o)) | Ok(Event::Apply(o)) => Update::NodeApplied(NodeFacts::from_node(&o)),
        Ok(Event::Delete(o)) => Update::NodeDeleted(o.metadata.name.unwrap_or_default()),
        Ok(Event::InitDone) => Update::NodesSynced,
        Err(e) => Update::WatchError(format!("watching Nodes: {e}")),
    });
    futures::stream::select(csrs, nodes)
}
