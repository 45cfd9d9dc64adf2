//! From evidence to a one-line diagnosis: when a component does not come up,
//! kubelift shows what it saw and what that usually means, instead of
//! kubeadm's bare "timed out waiting for the condition".

use serde::Deserialize;
use std::path::Path;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../assets/diagnoses.yaml");

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    pub id: String,
    pub patterns: Vec<String>,
    pub diagnosis: String,
    pub fix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    causes: Vec<Cause>,
}

pub fn causes() -> &'static [Cause] {
    static PARSED: OnceLock<Vec<Cause>> = OnceLock::new();
    PARSED.get_or_init(|| serde_yaml::from_str::<Table>(TABLE).expect("assets/diagnoses.yaml is checked by a unit test").causes)
}

/// The first known cause whose pattern appears in `evidence`.
pub fn match_cause(evidence: &str) -> Option<&'static Cause> {
    let text = evidence.to_lowercase();
    causes().iter().find(|c| c.patterns.iter().any(|p| text.contains(&p.to_lowercase())))
}

/// What kubelift found out about one component that is not healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub component: String,
    /// Why the health check failed (connection refused, HTTP 500 …).
    pub health: String,
    /// The last log lines, newest last.
    pub evidence: Vec<String>,
    pub cause: Option<&'static Cause>,
}

impl Finding {
    pub fn new(component: &str, health: &str, evidence: Vec<String>) -> Finding {
        let joined = format!("{health}\n{}", evidence.join("\n"));
        Finding { component: component.into(), health: health.into(), cause: match_cause(&joined), evidence }
    }

    /// One line: the component and what is most likely wrong.
    pub fn summary(&self) -> String {
        match self.cause {
            Some(c) => format!("{} is down: {}", self.component, c.diagnosis),
            None => format!("{} is down: {}", self.component, self.health),
        }
    }

    pub fn fix(&self) -> String {
        match self.cause {
            Some(c) => c.fix.clone(),
            None => format!("read the {} log (crictl logs, or /var/log/pods) for the first error", self.component),
        }
    }
}

/// The newest log of a static Pod's container, as the kubelet lays logs out:
/// `/var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log`.
pub fn static_pod_log(pods_dir: &Path, component: &str, lines: usize) -> Vec<String> {
    let prefix = format!("kube-system_{component}-");
    let mut newest: Option<(std::time::SystemTime, std::path::PathBuf)> = None;
    for pod in std::fs::read_dir(pods_dir).into_iter().flatten().flatten() {
        if !pod.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        for log in std::fs::read_dir(pod.path().join(component)).into_iter().flatten().flatten() {
            let modified = log.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
            if newest.as_ref().is_none_or(|(t, _)| modified > *t) {
                newest = Some((modified, log.path()));
            }
        }
    }
    let Some((_, path)) = newest else { return vec![] };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].iter().map(|l| l.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_with_unique_ids() {
        let ids: std::collections::BTreeSet<_> = causes().iter().map(|c| &c.id).collect();
        assert_eq!(ids.len(), causes().len());
        assert!(causes().iter().all(|c| !c.patterns.is_empty() && !c.fix.is_empty()));
    }

    #[test]
    fn known_messages_are_diagnosed() {
        let f = Finding::new("kube-apiserver", "connection refused", vec!["W0101 grpc: addrConn.createTransport failed to connect to {127.0.0.1:2379 127.0.0.1 <nil> 0 <nil>}. Err: connection error: desc = \"transport: Error while dialing dial tcp 127.0.0.1:2379: connect: connection refused\"".into()]);
        assert_eq!(f.cause.unwrap().id, "etcd-unreachable");
        assert!(f.summary().contains("cannot reach etcd"));
        let unknown = Finding::new("kube-scheduler", "HTTP 500", vec![]);
        assert!(unknown.cause.is_none());
        assert_eq!(unknown.summary(), "kube-scheduler is down: HTTP 500");
    }

    #[test]
    fn reads_the_newest_static_pod_log() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("kube-system_etcd-cp1_abc/etcd");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(logs.join("0.log"), "a\nb\nc\n").unwrap();
        assert_eq!(static_pod_log(dir.path(), "etcd", 2), ["b", "c"]);
        assert!(static_pod_log(dir.path(), "kube-apiserver", 2).is_empty());
    }
}
