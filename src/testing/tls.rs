//! https for the local server: a self-signed certificate made at start for the names asked,
//! served with rustls and the aws-lc-rs provider reqwest already uses.

use std::io;
use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The certificate and the acceptor that serves it.
pub(super) struct Tls {
    acceptor: TlsAcceptor,
    certificate_pem: String,
}

impl Tls {
    /// A fresh key and a self-signed certificate valid for `names` (host names or IP
    /// addresses, which go in the certificate as such).
    pub(super) fn generate(names: Vec<String>) -> io::Result<Self> {
        let certified = rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .map_err(io::Error::other)?;
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certificate_pem: certified.cert.pem(),
        })
    }

    pub(super) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    pub(super) fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }
}
