//! What `join` needs beyond discovery: node credentials through TLS bootstrap.

pub mod tls_bootstrap;
