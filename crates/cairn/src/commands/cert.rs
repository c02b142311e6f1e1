//! `cairn cert --host NAME`: a development certificate authority and a server
//! certificate it signed, for `cairn serve --tls-cert cert.pem --tls-key key.pem`.
//! Clients trust `ca.pem` (boto3 `verify="ca.pem"`, AWS CLI `--ca-bundle ca.pem`).

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct CertArgs {
    /// Host names (and IP addresses) the certificate is for; localhost and 127.0.0.1
    /// are always added.
    #[arg(long = "host", required = true)]
    hosts: Vec<String>,
    /// Where to write ca.pem, cert.pem and key.pem.
    #[arg(long, default_value = ".")]
    out_dir: PathBuf,
}

pub fn run(args: CertArgs) -> Result<(), String> {
    let failed = |e: rcgen::Error| format!("cannot make the certificate: {e}");
    let ca_key = KeyPair::generate().map_err(failed)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Cairn development CA");
    let ca_cert = ca_params.self_signed(&ca_key).map_err(failed)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut names = args.hosts.clone();
    for default in ["localhost", "127.0.0.1"] {
        if !names.iter().any(|n| n == default) {
            names.push(default.to_string());
        }
    }
    let key = KeyPair::generate().map_err(failed)?;
    let mut params = CertificateParams::new(names.clone()).map_err(failed)?;
    params.distinguished_name.push(DnType::CommonName, names[0].clone());
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let cert = params.signed_by(&key, &issuer).map_err(failed)?;

    std::fs::create_dir_all(&args.out_dir).map_err(|e| format!("cannot create {}: {e}", args.out_dir.display()))?;
    let write = |name: &str, text: String, private: bool| -> Result<(), String> {
        let path = args.out_dir.join(name);
        let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        // The key is created owner-only; it never exists readable by others.
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            let _ = std::fs::remove_file(&path);
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        use std::io::Write;
        options
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(failed)?;
        println!("wrote {}", path.display());
        Ok(())
    };
    write("ca.pem", ca_cert.pem(), false)?;
    write("cert.pem", cert.pem(), false)?;
    write("key.pem", key.serialize_pem(), true)?;
    println!(
        "serve with: cairn serve --tls-cert {0}/cert.pem --tls-key {0}/key.pem",
        args.out_dir.display()
    );
    Ok(())
}
