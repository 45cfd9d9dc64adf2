//! Done: the join commands (workers, control-plane nodes) with the token's
//! remaining time, how to use kubectl now, the pod network add-on to install,
//! and clipboard copies through OSC 52.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use std::time::Duration;

use super::choices::Addon;
use super::theme::Theme;
use crate::config::{duration, InitSettings};

/// What the Done screen shows, worked out once when the run succeeds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    pub endpoint: String,
    pub token: String,
    pub token_ttl: Option<Duration>,
    /// `sha256:<hex>` of the CA's public key, when ca.crt exists.
    pub ca_hash: Option<String>,
    pub has_cp_endpoint: bool,
    pub upload_certs: bool,
    pub certificate_key: String,
    pub dry_run_dir: Option<String>,
    pub admin_conf: String,
    pub addon: Option<Addon>,
    pub pod_cidr: String,
    pub scroll: u16,
}

impl Done {
    pub fn new(s: &InitSettings, addon: Option<Addon>, dry_run_dir: Option<String>, root: &str) -> Done {
        let token = s.init.bootstrap_tokens.first();
        let ttl = token.and_then(|t| duration::parse(&t.ttl).ok());
        let base = dry_run_dir.clone().unwrap_or_else(|| root.trim_end_matches('/').to_string());
        Done {
            endpoint: s.control_plane_endpoint(),
            token: token.map(|t| t.token.expose().to_string()).unwrap_or_default(),
            token_ttl: ttl,
            ca_hash: None,
            has_cp_endpoint: !s.cluster.control_plane_endpoint.is_empty(),
            upload_certs: s.upload_certs,
            certificate_key: s.init.certificate_key.expose().to_string(),
            dry_run_dir,
            admin_conf: format!("{base}/etc/kubernetes/admin.conf"),
            addon,
            pod_cidr: s.cluster.networking.pod_subnet.clone(),
            scroll: 0,
        }
    }

    fn hash_text(&self) -> String {
        self.ca_hash.clone().unwrap_or_else(|| "sha256:<unknown: ca.crt was not written by this run>".into())
    }

    pub fn worker_join(&self) -> String {
        format!("kubeadm join {} --token {} --discovery-token-ca-cert-hash {}", self.endpoint, self.token, self.hash_text())
    }

    /// The control-plane join, when this cluster can have more control-plane nodes.
    pub fn control_plane_join(&self) -> Option<String> {
        if !self.has_cp_endpoint {
            return None;
        }
        let key = match (self.upload_certs, self.certificate_key.is_empty()) {
            (true, false) => format!(" --certificate-key {}", self.certificate_key),
            _ => String::new(),
        };
        Some(format!("{} --control-plane{key}", self.worker_join()))
    }

    /// "expires in 23h59m", counted from when bootstrap-token finished.
    pub fn token_life(&self, created: Option<Duration>, now: Duration) -> String {
        if self.dry_run_dir.is_some() {
            return "dry run: this token was not created on any cluster, so it is valid nowhere yet".into();
        }
        match (self.token_ttl, created) {
            (Some(ttl), _) if ttl.is_zero() => "the token never expires (TTL 0): delete it when every node has joined".into(),
            (_, None) => "the bootstrap-token phase did not run, so this token was not created".into(),
            (Some(ttl), Some(at)) => {
                let left = ttl.saturating_sub(now.saturating_sub(at));
                format!("the token expires in {} (make a new one later with `kubeadm token create --print-join-command`)", hours_minutes(left))
            }
            (None, Some(_)) => "the token's lifetime is set by its expiry time".into(),
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, token_created: Option<Duration>, now: Duration) {
        let mut lines = self.headline(theme);
        lines.extend(self.join_lines(theme, token_created, now));
        lines.extend(self.kubectl_lines(theme));
        lines.extend(self.addon_lines(theme));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((self.scroll, 0)), area);
    }

    fn headline(&self, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = match &self.dry_run_dir {
            Some(dir) => vec![
                Line::styled("The dry run went through every phase. This is what a real run gives you.", theme.ok()),
                Line::styled(format!("Nothing on this machine changed; every file it would write is under {dir}"), theme.warn()),
            ],
            None => vec![Line::styled("Your Kubernetes control plane is set up.", theme.ok())],
        };
        lines.push(Line::raw(""));
        lines
    }

    fn join_lines(&self, theme: &Theme, token_created: Option<Duration>, now: Duration) -> Vec<Line<'static>> {
        let mut lines = vec![
            Line::styled("Join worker nodes (as root on each; c copies):", theme.title()),
            Line::styled(format!("  {}", self.worker_join()), theme.accent()),
            Line::styled(format!("  {}", self.token_life(token_created, now)), theme.dim()),
            Line::raw(""),
            Line::styled("Join more control-plane nodes (p copies):", theme.title()),
        ];
        match self.control_plane_join() {
            Some(cmd) => {
                lines.push(Line::styled(format!("  {cmd}"), theme.accent()));
                if !self.upload_certs {
                    lines.push(Line::styled("  first copy /etc/kubernetes/pki/{ca,sa,front-proxy-ca,etcd/ca}.* to the new node (certificates were not uploaded)", theme.dim()));
                }
            }
            None => lines.push(Line::styled("  not possible: no control-plane endpoint was set at init (needed for HA)", theme.dim())),
        }
        lines.push(Line::raw(""));
        lines
    }

    fn kubectl_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        vec![
            Line::styled("Use kubectl now:", theme.title()),
            Line::raw("  mkdir -p $HOME/.kube"),
            Line::raw(format!("  sudo cp -i {} $HOME/.kube/config", self.admin_conf)),
            Line::raw("  sudo chown $(id -u):$(id -g) $HOME/.kube/config"),
            Line::styled(format!("  or, as root: export KUBECONFIG={}", self.admin_conf), theme.dim()),
            Line::raw(""),
        ]
    }

    fn addon_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let title = Line::styled("Install the pod network add-on (nodes stay NotReady until you do):", theme.title());
        match &self.addon {
            Some(a) if !a.install.is_empty() => vec![title, Line::from(vec![Span::raw("  "), Span::styled(a.install.to_string(), theme.accent())])],
            _ => vec![title, Line::raw(format!("  install any add-on that uses the pod CIDR {}", if self.pod_cidr.is_empty() { "you give it" } else { &self.pod_cidr }))],
        }
    }
}

fn hours_minutes(d: Duration) -> String {
    let mins = d.as_secs() / 60;
    format!("{}h{:02}m", mins / 60, mins % 60)
}

/// `sha256:<hex>` of a PEM certificate's SubjectPublicKeyInfo, as kubeadm pins the CA.
pub fn ca_cert_hash(pem_text: &[u8]) -> Option<String> {
    use sha2::{Digest, Sha256};
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text).ok()?;
    let cert = pem.parse_x509().ok()?;
    Some(format!("sha256:{}", hex::encode(Sha256::digest(cert.tbs_certificate.subject_pki.raw))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done() -> Done {
        Done { endpoint: "10.0.0.1:6443".into(), token: "abcdef.0123456789abcdef".into(), token_ttl: Some(Duration::from_secs(24 * 3600)), ca_hash: Some("sha256:00".into()), ..Done::default() }
    }

    #[test]
    fn join_commands() {
        let d = done();
        assert_eq!(d.worker_join(), "kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:00");
        assert_eq!(d.control_plane_join(), None);
        let ha = Done { has_cp_endpoint: true, upload_certs: true, certificate_key: "k".into(), ..done() };
        assert!(ha.control_plane_join().unwrap().ends_with("--control-plane --certificate-key k"));
    }

    #[test]
    fn token_time_counts_down_from_its_creation() {
        let d = done();
        let text = d.token_life(Some(Duration::from_secs(10)), Duration::from_secs(10 + 3600 + 60));
        assert!(text.contains("expires in 22h59m"), "{text}");
        let dry = Done { dry_run_dir: Some("/tmp/x".into()), ..done() };
        assert!(dry.token_life(Some(Duration::ZERO), Duration::ZERO).contains("dry run"));
    }
}
