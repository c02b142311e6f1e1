//! TLS to the database: rustls on the ring provider (no C toolchain, like the
//! server's own listener). Used when the URL asks for it (`sslmode=require`) or a CA
//! file is given; the server's certificate and host name are always verified, against
//! the system's roots plus the given CA file. (libpq's `require`, which encrypts
//! without verifying, is not offered: a certificate nobody checks stops no one.)

use postgres::config::SslMode;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::Path;
use std::sync::Arc;

#[derive(Clone)]
pub(crate) enum Connector {
    Plain,
    Tls(tokio_postgres_rustls::MakeRustlsConnect),
}

impl Connector {
    pub(crate) fn connect(&self, config: &postgres::Config) -> Result<postgres::Client, postgres::Error> {
        match self {
            Connector::Plain => config.connect(postgres::NoTls),
            Connector::Tls(tls) => config.connect(tls.clone()),
        }
    }
}

/// libpq's verifying modes, which the Rust client does not parse, mean what Cairn's
/// `require` does anyway: rewrite them so such URLs work unchanged.
pub(crate) fn normalize_url(url: &str) -> String {
    url.replace("sslmode=verify-full", "sslmode=require")
        .replace("sslmode=verify-ca", "sslmode=require")
}

/// The connector for `config`: TLS when the URL requires it or `ca_file` is given
/// (which then makes TLS required).
pub(crate) fn connector(config: &mut postgres::Config, ca_file: Option<&Path>) -> Result<Connector, String> {
    if ca_file.is_none() && config.get_ssl_mode() != SslMode::Require {
        return Ok(Connector::Plain);
    }
    config.ssl_mode(SslMode::Require);
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // A system root rustls cannot use is skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read the PostgreSQL CA file {}: {e}", path.display()))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("cannot parse the PostgreSQL CA file {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "the PostgreSQL CA file {} holds no PEM certificate",
                path.display()
            ));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                format!(
                    "the PostgreSQL CA file {} holds an unusable certificate: {e}",
                    path.display()
                )
            })?;
        }
    }
    if roots.is_empty() {
        return Err(
            "TLS to PostgreSQL was asked for, but no trusted root certificate was found: pass --postgres-ca-cert FILE"
                .to_string(),
        );
    }
    // rustls deprecates ring's provider for lacking post-quantum key exchange; ring
    // keeps the build free of a C toolchain (DESIGN.md).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Connector::Tls(tokio_postgres_rustls::MakeRustlsConnect::new(client)))
}
