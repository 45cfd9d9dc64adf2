//! API errors sorted by what the user can do about them.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Worth retrying: the server is starting, overloaded, or the connection dropped.
    Transient,
    /// The server refused the client's identity (401).
    Unauthorized,
    /// The identity is known but not allowed (403).
    Forbidden,
    /// TLS failed: the server's certificate is not trusted or not for this address.
    Tls,
    NotFound,
    /// The object was refused as invalid (422) or the request was bad (400).
    Invalid,
    Other,
}

#[derive(Debug, Clone)]
pub struct ClusterError {
    pub class: ErrorClass,
    /// What was being done, e.g. "apply ConfigMap kube-system/kubeadm-config".
    pub action: String,
    pub detail: String,
    pub server: String,
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.action, self.server, self.detail)
    }
}

impl std::error::Error for ClusterError {}

impl ClusterError {
    pub fn new(class: ErrorClass, action: &str, server: &str, detail: impl Into<String>) -> Self {
        ClusterError { class, action: action.into(), detail: detail.into(), server: server.into() }
    }

    pub fn from_kube(action: &str, server: &str, e: &kube::Error) -> Self {
        ClusterError::new(classify(e), action, server, describe(e))
    }

    pub fn hint(&self) -> String {
        match self.class {
            ErrorClass::Transient => format!("kube-apiserver at {} is not answering yet; check that its static Pod runs (crictl ps -a) and its log", self.server),
            ErrorClass::Unauthorized => "the API server does not accept the client certificate of the kubeconfig: it must be signed by the cluster CA (ca.crt) and unexpired; `kubelift certs check-expiration` shows both".into(),
            ErrorClass::Forbidden => "the kubeconfig's identity lacks the permission: admin.conf must be in group system:masters (up to v1.28) or bound by the ClusterRoleBinding kubeadm:cluster-admins (v1.29+)".into(),
            ErrorClass::Tls => format!("the server at {} presented a certificate that ca.crt does not verify or that lacks this address among its SANs; add the address to apiServer.certSANs and renew apiserver.crt", self.server),
            ErrorClass::NotFound => "the object or API does not exist on this server; check the Kubernetes version".into(),
            ErrorClass::Invalid => "the server refused the object as invalid: this is likely a kubelift bug for this Kubernetes version; please report it with the message".into(),
            ErrorClass::Other => "see the message; run again with -v for details".into(),
        }
    }
}

fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => format!("{} ({} {})", status.message, status.code, status.reason),
        other => {
            // The chain holds the useful part (connection refused, unknown issuer).
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            text
        }
    }
}

const GRPC_DEADLINE_EXCEEDED: u16 = 4;
const GRPC_UNAVAILABLE: u16 = 14;

pub fn classify(e: &kube::Error) -> ErrorClass {
    match e {
        kube::Error::Api(status) => match status.code {
            401 => ErrorClass::Unauthorized,
            403 => ErrorClass::Forbidden,
            404 => ErrorClass::NotFound,
            400 | 422 => ErrorClass::Invalid,
            409 | 429 | 500 | 502 | 503 | 504 => ErrorClass::Transient,
            // etcd's JSON gateway answers with gRPC codes, which no HTTP
            // status shares: UNAVAILABLE ("unhealthy cluster", no leader yet)
            // and DEADLINE_EXCEEDED pass.
            GRPC_UNAVAILABLE | GRPC_DEADLINE_EXCEEDED => ErrorClass::Transient,
            _ => ErrorClass::Other,
        },
        kube::Error::RustlsTls(_) => ErrorClass::Tls,
        other => {
            let text = describe(other).to_lowercase();
            if text.contains("certificate") || text.contains("unknownissuer") || text.contains("tls") {
                ErrorClass::Tls
            } else {
                ErrorClass::Transient
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: u16) -> kube::Error {
        kube::Error::Api(Box::new(kube::core::Status::failure("m", "r").with_code(code)))
    }

    #[test]
    fn status_codes_map_to_classes() {
        assert_eq!(classify(&api(503)), ErrorClass::Transient);
        assert_eq!(classify(&api(409)), ErrorClass::Transient);
        assert_eq!(classify(&api(14)), ErrorClass::Transient, "etcd's gateway: gRPC UNAVAILABLE");
        assert_eq!(classify(&api(9)), ErrorClass::Other, "etcd's gateway: gRPC FAILED_PRECONDITION is final");
        assert_eq!(classify(&api(401)), ErrorClass::Unauthorized);
        assert_eq!(classify(&api(403)), ErrorClass::Forbidden);
        assert_eq!(classify(&api(422)), ErrorClass::Invalid);
    }
}
