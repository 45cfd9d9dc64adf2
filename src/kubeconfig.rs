//! kubeconfig files as client-go writes them (kubeadm-facts §2): sorted keys,
//! one cluster, one context `<user>@<cluster>`, one user with embedded
//! credentials, or, for bootstrap, a token.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// How the user authenticates.
pub enum Credentials<'a> {
    /// Embedded client certificate and key (PEM).
    ClientCertificate { cert_pem: &'a str, key_pem: &'a str },
    /// Files holding certificate and key, as the kubelet writes after TLS bootstrap.
    ClientCertificateFile { path: &'a str },
    /// A bearer token (bootstrap-kubelet.conf).
    Token(&'a str),
}

pub struct Kubeconfig<'a> {
    pub cluster_name: &'a str,
    pub server: &'a str,
    pub ca_pem: &'a [u8],
    pub user: &'a str,
    /// `<user>@<cluster>` unless given (the kubelet's own files use `default-*` names).
    pub context: Option<&'a str>,
    pub credentials: Credentials<'a>,
}

impl Kubeconfig<'_> {
    pub fn render(&self) -> String {
        let context = self.context.map(String::from).unwrap_or_else(|| format!("{}@{}", self.user, self.cluster_name));
        let user = match &self.credentials {
            Credentials::ClientCertificate { cert_pem, key_pem } => format!(
                "    client-certificate-data: {}\n    client-key-data: {}\n",
                STANDARD.encode(cert_pem),
                STANDARD.encode(key_pem)
            ),
            Credentials::ClientCertificateFile { path } => format!("    client-certificate: {path}\n    client-key: {path}\n"),
            Credentials::Token(token) => format!("    token: {token}\n"),
        };
        format!(
            "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: {server}\n  name: {cluster}\ncontexts:\n- context:\n    cluster: {cluster}\n    user: {user_name}\n  name: {context}\ncurrent-context: {context}\nkind: Config\npreferences: {{}}\nusers:\n- name: {user_name}\n  user:\n{user}",
            ca = STANDARD.encode(self.ca_pem),
            server = self.server,
            cluster = self.cluster_name,
            user_name = self.user,
        )
    }
}

/// The CA (PEM) of the current context's cluster in a kubeconfig.
pub fn current_ca(yaml: &[u8]) -> Option<Vec<u8>> {
    let config: serde_yaml::Value = serde_yaml::from_slice(yaml).ok()?;
    let context_name = config["current-context"].as_str()?;
    let context = config["contexts"].as_sequence()?.iter().find(|c| c["name"].as_str() == Some(context_name))?;
    let cluster_name = context["context"]["cluster"].as_str()?;
    let cluster = config["clusters"].as_sequence()?.iter().find(|c| c["name"].as_str() == Some(cluster_name))?;
    STANDARD.decode(cluster["cluster"]["certificate-authority-data"].as_str()?.trim()).ok()
}

/// The server of the current context's cluster.
pub fn current_server(yaml: &[u8]) -> Option<String> {
    let config: serde_yaml::Value = serde_yaml::from_slice(yaml).ok()?;
    let context_name = config["current-context"].as_str()?;
    let context = config["contexts"].as_sequence()?.iter().find(|c| c["name"].as_str() == Some(context_name))?;
    let cluster_name = context["context"]["cluster"].as_str()?;
    let cluster = config["clusters"].as_sequence()?.iter().find(|c| c["name"].as_str() == Some(cluster_name))?;
    cluster["cluster"]["server"].as_str().map(String::from)
}

/// The name of the current context's cluster.
pub fn current_cluster_name(yaml: &[u8]) -> Option<String> {
    let config: serde_yaml::Value = serde_yaml::from_slice(yaml).ok()?;
    let context_name = config["current-context"].as_str()?;
    let context = config["contexts"].as_sequence()?.iter().find(|c| c["name"].as_str() == Some(context_name))?;
    context["context"]["cluster"].as_str().map(String::from)
}

/// The embedded client certificate (PEM) of the current context's user.
pub fn current_client_cert(yaml: &[u8]) -> Option<Vec<u8>> {
    let config: serde_yaml::Value = serde_yaml::from_slice(yaml).ok()?;
    let context_name = config["current-context"].as_str()?;
    let context = config["contexts"].as_sequence()?.iter().find(|c| c["name"].as_str() == Some(context_name))?;
    let user_name = context["context"]["user"].as_str()?;
    let user = config["users"].as_sequence()?.iter().find(|u| u["name"].as_str() == Some(user_name))?;
    STANDARD.decode(user["user"]["client-certificate-data"].as_str()?.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_client_gos_layout() {
        let k = Kubeconfig {
            cluster_name: "kubernetes",
            server: "https://10.211.0.2:6443",
            ca_pem: b"CA",
            user: "kubernetes-admin",
            context: None,
            credentials: Credentials::ClientCertificate { cert_pem: "C", key_pem: "K" },
        };
        let yaml = k.render();
        let expected = "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0E=\n    server: https://10.211.0.2:6443\n  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n    user: kubernetes-admin\n  name: kubernetes-admin@kubernetes\ncurrent-context: kubernetes-admin@kubernetes\nkind: Config\npreferences: {}\nusers:\n- name: kubernetes-admin\n  user:\n    client-certificate-data: Qw==\n    client-key-data: Sw==\n";
        assert_eq!(yaml, expected);
        assert_eq!(current_ca(yaml.as_bytes()).unwrap(), b"CA");
        assert_eq!(current_server(yaml.as_bytes()).unwrap(), "https://10.211.0.2:6443");
        assert_eq!(current_client_cert(yaml.as_bytes()).unwrap(), b"C");
        assert_eq!(current_cluster_name(yaml.as_bytes()).unwrap(), "kubernetes");
    }
}
