//! The detached JWS that signs `kube-public/cluster-info` (kubeadm-facts §5.4):
//! HS256 keyed with the bootstrap token's secret, header `{"alg":"HS256","kid":"<id>"}`,
//! stored as `header..signature` (the payload, the kubeconfig, travels beside it).

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The detached JWS the bootstrap signer stores under `jws-kubeconfig-<id>`.
pub fn detached(token_id: &str, token_secret: &str, payload: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(format!("{{\"alg\":\"HS256\",\"kid\":\"{token_id}\"}}"));
    let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
    let key = hmac::Key::new(hmac::HMAC_SHA256, token_secret.as_bytes());
    let signature = hmac::sign(&key, signing_input.as_bytes());
    format!("{header}..{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

/// True when `jws` is the detached signature of `payload` by this token.
/// Compared in constant time: the signature is a MAC over a secret.
pub fn verify(token_id: &str, token_secret: &str, payload: &str, jws: &str) -> bool {
    let expected = detached(token_id, token_secret, payload);
    expected.len() == jws.len() && aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), jws.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Upstream's test vectors (cluster-bootstrap/token/jws).
    const CONTENT: &str = "Hello from the other side. I must have called a thousand times.";

    #[test]
    fn upstream_vectors() {
        assert_eq!(detached("joshua", "my voice is my passcode", CONTENT), "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8");
        assert_eq!(detached("joshua", "my voice is my passcode", ""), "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..7Ui1ALizW4jXphVUB7xUqC9vLYLL9RZeOFfVLoB7Tgk");
    }

    #[test]
    fn header_for_abcdef_is_kubeadms() {
        assert!(detached("abcdef", "0123456789abcdef", "x").starts_with("eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9.."));
    }

    #[test]
    fn verification_rejects_other_secrets_and_payloads() {
        let jws = detached("abcdef", "0123456789abcdef", "payload");
        assert!(verify("abcdef", "0123456789abcdef", "payload", &jws));
        assert!(!verify("abcdef", "0123456789abcdeg", "payload", &jws));
        assert!(!verify("abcdef", "0123456789abcdef", "payload2", &jws));
        assert!(!verify("abcdef", "0123456789abcdef", "payload", "garbage"));
    }
}
