//! The CRI `RuntimeService/Version` call: one gRPC unary call over HTTP/2 on
//! the runtime's unix socket, as the kubelet makes it.
//!
//! Built on the `h2` crate (hyperium's HTTP/2, which hyper and tonic use) with
//! the two tiny protobuf messages encoded by hand: tonic and prost would cost
//! about three times the build time (measured: docs/preflight.md) for one call
//! with four string fields.

use bytes::{Buf, Bytes, BytesMut};
use std::path::Path;
use std::time::Duration;

/// The gRPC method the kubelet calls first; `runtime.v1` since Kubernetes 1.26 is required.
pub const VERSION_METHOD: &str = "/runtime.v1.RuntimeService/Version";
/// gRPC status code UNIMPLEMENTED: the runtime does not serve the CRI v1 API.
const GRPC_UNIMPLEMENTED: u32 = 12;

/// `runtime.v1.VersionResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CriVersion {
    pub version: String,
    pub runtime_name: String,
    pub runtime_version: String,
    pub runtime_api_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CriError {
    #[error("no socket at {0}: the runtime is not installed or not started")]
    Missing(String),
    #[error("cannot connect to {path}: {reason}")]
    Connect { path: String, reason: String },
    #[error("{0} did not answer within {1:?}")]
    Timeout(String, Duration),
    #[error("the runtime at {path} does not serve the CRI v1 API (gRPC UNIMPLEMENTED: {message})")]
    Unimplemented { path: String, message: String },
    #[error("the runtime at {path} answered gRPC status {code}: {message}")]
    Status { path: String, code: u32, message: String },
    #[error("the runtime at {path} sent an answer kubelift cannot read: {reason}")]
    Protocol { path: String, reason: String },
}

/// Makes the call from a blocking thread (the checks run on those).
pub fn version_blocking(socket: &Path, timeout: Duration) -> Result<CriVersion, CriError> {
    let path = socket.display().to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CriError::Connect { path: path.clone(), reason: format!("no async runtime: {e}") })?;
    rt.block_on(async {
        match tokio::time::timeout(timeout, version(socket)).await {
            Ok(result) => result,
            Err(_) => Err(CriError::Timeout(path, timeout)),
        }
    })
}

/// The call itself.
pub async fn version(socket: &Path) -> Result<CriVersion, CriError> {
    let path = socket.display().to_string();
    let protocol = |reason: String| CriError::Protocol { path: path.clone(), reason };
    let stream = match tokio::net::UnixStream::connect(socket).await {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CriError::Missing(path)),
        Err(e) => return Err(CriError::Connect { path, reason: e.to_string() }),
    };
    let (client, connection) = h2::client::handshake(stream).await.map_err(|e| protocol(format!("HTTP/2 handshake failed: {e}")))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let result = call(client, &path).await;
    driver.abort();
    result
}

async fn call(client: h2::client::SendRequest<Bytes>, path: &str) -> Result<CriVersion, CriError> {
    let protocol = |reason: String| CriError::Protocol { path: path.into(), reason };
    let mut client = client.ready().await.map_err(|e| protocol(e.to_string()))?;
    let request = http::Request::post(format!("http://localhost{VERSION_METHOD}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .map_err(|e| protocol(e.to_string()))?;
    let (response, mut send) = client.send_request(request, false).map_err(|e| protocol(e.to_string()))?;
    send.send_data(grpc_frame(&encode_version_request("v1")), true).map_err(|e| protocol(e.to_string()))?;
    let response = response.await.map_err(|e| protocol(e.to_string()))?;
    if response.status() != http::StatusCode::OK {
        return Err(protocol(format!("HTTP status {}", response.status())));
    }
    // A "trailers-only" answer carries grpc-status in the headers.
    let header_status = grpc_status(response.headers());
    let mut body = response.into_body();
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.map_err(|e| protocol(e.to_string()))?;
        let _ = body.flow_control().release_capacity(chunk.len());
        buf.extend_from_slice(&chunk);
    }
    let trailers = body.trailers().await.map_err(|e| protocol(e.to_string()))?;
    let (code, message) = header_status.or_else(|| trailers.as_ref().and_then(grpc_status)).unwrap_or((0, String::new()));
    match code {
        0 => decode_version_response(&unframe(buf.freeze()).map_err(protocol)?).map_err(protocol),
        GRPC_UNIMPLEMENTED => Err(CriError::Unimplemented { path: path.into(), message }),
        code => Err(CriError::Status { path: path.into(), code, message }),
    }
}

fn grpc_status(headers: &http::HeaderMap) -> Option<(u32, String)> {
    let code = headers.get("grpc-status")?.to_str().ok()?.trim().parse().ok()?;
    let message = headers.get("grpc-message").and_then(|m| m.to_str().ok()).unwrap_or("").to_string();
    Some((code, message))
}

/// gRPC length-prefixed message: flag 0 (not compressed), 4-byte big-endian length.
pub fn grpc_frame(message: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(5 + message.len());
    out.extend_from_slice(&[0]);
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out.freeze()
}

fn unframe(mut data: Bytes) -> Result<Bytes, String> {
    if data.len() < 5 {
        return Err(format!("a gRPC message needs 5 header bytes, got {}", data.len()));
    }
    let compressed = data.get_u8();
    let len = data.get_u32() as usize;
    if compressed != 0 {
        return Err("the message is compressed, which kubelift did not ask for".into());
    }
    if data.len() < len {
        return Err(format!("the message says {len} bytes but {} arrived", data.len()));
    }
    Ok(data.split_to(len))
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(data: &mut &[u8]) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = data.split_first().ok_or("truncated varint")?;
        *data = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint longer than 10 bytes".into())
}

/// `runtime.v1.VersionRequest { string version = 1; }`
pub fn encode_version_request(version: &str) -> Vec<u8> {
    let mut out = vec![0x0a];
    put_varint(&mut out, version.len() as u64);
    out.extend_from_slice(version.as_bytes());
    out
}

/// `runtime.v1.VersionResponse`: four strings, fields 1 to 4; unknown fields skipped.
pub fn decode_version_response(mut data: &[u8]) -> Result<CriVersion, String> {
    let mut v = CriVersion::default();
    while !data.is_empty() {
        let key = get_varint(&mut data)?;
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                get_varint(&mut data)?;
            }
            1 | 5 => {
                let n = if wire == 1 { 8 } else { 4 };
                data = data.get(n..).ok_or("truncated fixed-size field")?;
            }
            2 => {
                let len = usize::try_from(get_varint(&mut data)?).map_err(|_| "field too long")?;
                let bytes = data.get(..len).ok_or("truncated field")?;
                data = &data[len..];
                let text = String::from_utf8_lossy(bytes).into_owned();
                match field {
                    1 => v.version = text,
                    2 => v.runtime_name = text,
                    3 => v.runtime_version = text,
                    4 => v.runtime_api_version = text,
                    _ => {}
                }
            }
            other => return Err(format!("unsupported protobuf wire type {other}")),
        }
    }
    Ok(v)
}

/// Encodes a response (tests and the fake runtime in tests/preflight.rs).
pub fn encode_version_response(v: &CriVersion) -> Vec<u8> {
    let mut out = vec![];
    for (field, text) in [(1u8, &v.version), (2, &v.runtime_name), (3, &v.runtime_version), (4, &v.runtime_api_version)] {
        out.push(field << 3 | 2);
        put_varint(&mut out, text.len() as u64);
        out.extend_from_slice(text.as_bytes());
    }
    out
}

/// A minimal CRI server for tests: answers Version with `answer`, or with
/// gRPC UNIMPLEMENTED when `answer` is `None` (the CRI plugin disabled).
pub async fn serve_fake_runtime(listener: tokio::net::UnixListener, answer: Option<CriVersion>) {
    while let Ok((stream, _)) = listener.accept().await {
        let answer = answer.clone();
        tokio::spawn(async move {
            let Ok(mut conn) = h2::server::handshake(stream).await else { return };
            while let Some(Ok((request, mut respond))) = conn.accept().await {
                let known = request.uri().path() == VERSION_METHOD;
                let mut body = request.into_body();
                while let Some(Ok(chunk)) = body.data().await {
                    let _ = body.flow_control().release_capacity(chunk.len());
                }
                let mut trailers = http::HeaderMap::new();
                let head = http::Response::builder().header("content-type", "application/grpc").body(()).expect("static response");
                let Ok(mut send) = respond.send_response(head, false) else { return };
                match (&answer, known) {
                    (Some(v), true) => {
                        let _ = send.send_data(grpc_frame(&encode_version_response(v)), false);
                        trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
                    }
                    _ => {
                        trailers.insert("grpc-status", http::HeaderValue::from_static("12"));
                        trailers.insert("grpc-message", http::HeaderValue::from_static("unknown service runtime.v1.RuntimeService"));
                    }
                }
                let _ = send.send_trailers(trailers);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn containerd() -> CriVersion {
        CriVersion { version: "0.1.0".into(), runtime_name: "containerd".into(), runtime_version: "v1.7.22".into(), runtime_api_version: "v1".into() }
    }

    #[test]
    fn protobuf_round_trip_and_bad_input() {
        assert_eq!(encode_version_request("v1"), [0x0a, 2, b'v', b'1']);
        assert_eq!(decode_version_response(&encode_version_response(&containerd())).unwrap(), containerd());
        assert!(decode_version_response(&[0x0a, 5, b'x']).is_err(), "truncated");
        assert!(decode_version_response(&[0x0b]).is_err(), "wire type 3");
        assert!(decode_version_response(&[0xff; 12]).is_err(), "endless varint");
        assert!(unframe(Bytes::from_static(&[0, 0, 0, 0, 9, 1])).is_err());
    }

    #[test]
    fn calls_a_runtime_over_its_socket() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.sock");
        let off = dir.path().join("off.sock");
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async {
            tokio::spawn(serve_fake_runtime(tokio::net::UnixListener::bind(&ok).unwrap(), Some(containerd())));
            tokio::spawn(serve_fake_runtime(tokio::net::UnixListener::bind(&off).unwrap(), None));
        });
        let t = Duration::from_secs(5);
        assert_eq!(version_blocking(&ok, t).unwrap(), containerd());
        assert!(matches!(version_blocking(&off, t), Err(CriError::Unimplemented { .. })));
        assert!(matches!(version_blocking(&dir.path().join("none.sock"), t), Err(CriError::Missing(_))));
        std::fs::write(dir.path().join("file.sock"), b"").unwrap();
        assert!(matches!(version_blocking(&dir.path().join("file.sock"), t), Err(CriError::Connect { .. })));
    }
}
