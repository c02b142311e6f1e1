//! Two real `cairn serve --postgres` processes on one fresh schema, and the SDK
//! helpers the two-server tests share.

use super::{client, free_port, postgres_url, status, wait_ready};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    StreamSpecification, StreamViewType,
};
use aws_sdk_dynamodb::Client;
use std::process::{Child, Command, Stdio};

/// One server of a pair, killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub client: Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn serve(url: &str, schema: &str, extra: &[&str]) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--postgres",
            url,
            "--postgres-schema",
            schema,
        ])
        .args(["--ttl-sweep-interval-ms", "200"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = client(port);
    wait_ready(&client).await;
    Server { child, port, client }
}

/// Two servers on a fresh schema, or None when no database is available. B reaches
/// the database over TLS when the test database offers it (`--postgres-ca-cert`).
pub async fn pair(name: &str) -> Option<(Server, Server)> {
    pair_with(name, &[]).await
}

/// `pair`, with extra flags for B.
pub async fn pair_with(name: &str, b_flags: &[&str]) -> Option<(Server, Server)> {
    let url = postgres_url()?;
    let schema = format!("two_{name}_{}", std::process::id());
    let a = serve(&url, &schema, &[]).await;
    let mut flags: Vec<String> = b_flags.iter().map(|f| f.to_string()).collect();
    if let Ok(ca) = std::env::var("CAIRN_TEST_POSTGRES_CA") {
        flags.extend(["--postgres-ca-cert".to_string(), ca]);
    }
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let b = serve(&url, &schema, &flags).await;
    Some((a, b))
}

pub async fn create_table(client: &Client, name: &str, stream: Option<StreamViewType>) {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        );
    if let Some(view) = stream {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(view)
                .build()
                .unwrap(),
        );
    }
    request.send().await.unwrap();
}

pub async fn put(client: &Client, table: &str, pk: &str, attributes: &[(&str, Av)]) {
    let mut request = client.put_item().table_name(table).item("pk", Av::S(pk.into()));
    for (name, value) in attributes {
        request = request.item(*name, value.clone());
    }
    request.send().await.unwrap();
}

pub async fn number_of(client: &Client, table: &str, pk: &str, attribute: &str) -> Option<i64> {
    let item = client
        .get_item()
        .table_name(table)
        .key("pk", Av::S(pk.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item?;
    item.get(attribute)?.as_n().ok()?.parse().ok()
}

pub fn code_of<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or_default().to_string()
}

/// Whether the server on `port` holds the background lease now.
pub fn holds_background(port: u16) -> bool {
    status(port)["leases"]
        .as_array()
        .is_some_and(|l| l.iter().any(|n| n == "background"))
}
