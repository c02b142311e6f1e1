//! Starts Cairn in-process on 127.0.0.1:0 and hands out SDK clients for it.

#![allow(dead_code)]

pub mod tables;
pub mod vectors;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{AttributeDefinition, KeySchemaElement, KeyType, ScalarAttributeType};
use aws_sdk_dynamodb::Client;
use cairn_engine::{Engine, EngineConfig};
use cairn_server::ServerConfig;
use cairn_storage::{MemoryStorage, Storage};
use std::net::SocketAddr;
use std::sync::Arc;

pub struct TestServer {
    pub address: SocketAddr,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestServer {
    /// A server over memory storage, or over PostgreSQL (a fresh schema) when
    /// `CAIRN_TEST_BACKEND=postgres` and `CAIRN_TEST_POSTGRES_URL` are set, so the SDK
    /// integration tests run against either backend.
    pub async fn start() -> TestServer {
        match postgres_storage() {
            Some(storage) => {
                let config = ServerConfig {
                    engine_blocks: true,
                    ..ServerConfig::default()
                };
                Self::start_configured(storage, config).await
            }
            None => Self::start_with(Arc::new(MemoryStorage::new())).await,
        }
    }

    pub async fn start_with(storage: Arc<dyn Storage>) -> TestServer {
        Self::start_configured(storage, ServerConfig::default()).await
    }

    /// A server verifying SigV4 against `credentials` (the credentials file's JSON).
    pub async fn start_secured(credentials: serde_json::Value) -> TestServer {
        Self::start_configured(Arc::new(MemoryStorage::new()), secured_config(credentials)).await
    }

    pub async fn start_configured(storage: Arc<dyn Storage>, config: ServerConfig) -> TestServer {
        // Opening the engine reads the catalog, which may wait on a database.
        let engine = Arc::new(
            std::thread::spawn(move || Engine::new(storage, EngineConfig::default()))
                .join()
                .unwrap()
                .unwrap(),
        );
        Self::start_engine(engine, config).await
    }

    /// A server in front of an engine the test built (its clock, its settings).
    /// Connections are served on two connection threads, as `cairn serve` serves them
    /// by default, unless the test chose otherwise.
    pub async fn start_engine(engine: Arc<Engine>, mut config: ServerConfig) -> TestServer {
        if config.connection_threads.is_none() {
            config.connection_threads = Some(cairn_server::ConnectionThreads::start(2, 8 * 1024 * 1024).unwrap());
        }
        Self::start_exact(engine, config).await
    }

    /// A server with exactly `config`: `connection_threads: None` serves connections
    /// on the test's own runtime (`cairn serve --connection-threads 0`).
    pub async fn start_exact(engine: Arc<Engine>, config: ServerConfig) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            cairn_server::serve(listener, engine, config, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer { address, _shutdown: tx }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn client(&self) -> Client {
        self.client_in("us-east-1")
    }

    pub fn client_in(&self, region: &str) -> Client {
        self.client_as("AKIDTEST", "secret", None, region)
    }

    /// A client signing with the given key, secret and session token.
    pub fn client_as(&self, key: &str, secret: &str, token: Option<&str>, region: &str) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(self.url())
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new(key, secret, token.map(str::to_string), None, "test"))
            .build();
        Client::from_conf(config)
    }
}

/// PostgreSQL storage in a fresh schema, when the environment asks for it.
/// The store engine-level tests run on: a fresh PostgreSQL schema under
/// `CAIRN_TEST_BACKEND=postgres`, memory otherwise.
pub fn test_storage() -> Arc<dyn Storage> {
    postgres_storage().unwrap_or_else(|| Arc::new(MemoryStorage::new()))
}

fn postgres_storage() -> Option<Arc<dyn Storage>> {
    if std::env::var("CAIRN_TEST_BACKEND").ok()?.as_str() != "postgres" {
        return None;
    }
    let url =
        std::env::var("CAIRN_TEST_POSTGRES_URL").expect("CAIRN_TEST_BACKEND=postgres needs CAIRN_TEST_POSTGRES_URL");
    let mut config = cairn_storage_postgres::PostgresConfig::new(&url);
    config.schema = format!("test_{}", uuid::Uuid::new_v4().simple());
    config.pool_size = 8;
    // The PostgreSQL client blocks: never on an async worker.
    let storage = std::thread::spawn(move || cairn_storage_postgres::PostgresStorage::open(&config))
        .join()
        .unwrap()
        .unwrap();
    Some(Arc::new(storage))
}

/// Server configuration verifying SigV4 against a credentials file's JSON.
pub fn secured_config(credentials: serde_json::Value) -> ServerConfig {
    let file: cairn_auth::CredentialsFile = serde_json::from_value(credentials).unwrap();
    let credentials = cairn_auth::Credentials::from_file(&file, "000000000000").unwrap();
    ServerConfig {
        authenticator: Some(Arc::new(cairn_server::Authenticator::from_credentials(
            credentials,
            "000000000000",
        ))),
        ..ServerConfig::default()
    }
}

/// The request context of an authenticated principal `name` with `policies` (a JSON
/// list of policy documents; `None`: allowed everything).
pub fn principal_context(name: &str, policies: Option<serde_json::Value>) -> cairn_engine::RequestContext {
    let mut entry = serde_json::json!({"name": name, "access_key_id": format!("AKIA{}", name.to_uppercase()), "secret_access_key": "s"});
    if let Some(policies) = policies {
        entry["policies"] = policies;
    }
    let file: cairn_auth::CredentialsFile = serde_json::from_value(serde_json::json!({"principals": [entry]})).unwrap();
    let credentials = cairn_auth::Credentials::from_file(&file, "000000000000").unwrap();
    let principal = credentials
        .by_access_key(&format!("AKIA{}", name.to_uppercase()))
        .unwrap();
    cairn_engine::RequestContext {
        access_key_id: Some(principal.access_key_id.clone()),
        principal: Some(principal),
        ..cairn_engine::RequestContext::default()
    }
}

/// A string attribute value.
pub fn s(v: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(v.to_string())
}

/// A number attribute value.
pub fn n(v: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::N(v.to_string())
}

/// An attribute definition.
pub fn attr(name: &str, kind: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .unwrap()
}

/// A key schema element.
pub fn key_element(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .unwrap()
}

/// Creates an on-demand table with a string hash key `pk` and, optionally, a range
/// key `sk` of the given type.
pub async fn create_table(client: &Client, name: &str, range: Option<ScalarAttributeType>) {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash));
    if let Some(kind) = range {
        request = request
            .attribute_definitions(attr("sk", kind))
            .key_schema(key_element("sk", KeyType::Range));
    }
    request.send().await.unwrap();
}

/// The error code and message of a failed SDK call.
pub fn error_of<T, E, R>(result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>) -> (String, String)
where
    T: std::fmt::Debug,
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let error = result.expect_err("the call should have failed");
    let service = error
        .as_service_error()
        .unwrap_or_else(|| panic!("not a service error: {error:?}"));
    (
        service.code().unwrap_or_default().to_string(),
        service.message().unwrap_or_default().to_string(),
    )
}

/// An engine over the test store on a clock stopped at 1,900,000,000 s (tests move
/// nothing here: what they check must not depend on time), enforcing capacity or not.
pub fn stopped_clock_engine(enforce_capacity: bool) -> Engine {
    let config = EngineConfig {
        enforce_capacity,
        ..EngineConfig::default()
    };
    let clock = Arc::new(cairn_engine::ManualClock::new(1_900_000_000.0));
    Engine::with_clock(test_storage(), config, clock).unwrap()
}

/// An engine over memory storage, for tests that call operations without a socket.
pub fn memory_engine() -> Engine {
    Engine::new(Arc::new(MemoryStorage::new()), EngineConfig::default()).unwrap()
}

/// Calls one operation with a JSON body through the same function the listener
/// runs; Ok(output JSON) or Err((error type, message)).
pub fn call(engine: &Engine, operation: &str, body: serde_json::Value) -> Result<serde_json::Value, (String, String)> {
    call_target(engine, &format!("DynamoDB_20120810.{operation}"), body)
}

/// `call` for the DynamoDB Streams API.
pub fn call_streams(
    engine: &Engine,
    operation: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, (String, String)> {
    call_target(engine, &format!("DynamoDBStreams_20120810.{operation}"), body)
}

fn call_target(engine: &Engine, target: &str, body: serde_json::Value) -> Result<serde_json::Value, (String, String)> {
    call_as(engine, &cairn_engine::RequestContext::default(), target, body)
}

/// Calls `target` (`DynamoDB_20120810.GetItem`) as the caller in `ctx`.
pub fn call_as(
    engine: &Engine,
    ctx: &cairn_engine::RequestContext,
    target: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, (String, String)> {
    let body = serde_json::to_vec(&body).unwrap();
    match cairn_server::call_operation(engine, ctx, Some(target), &body) {
        Ok(output) => Ok(serde_json::from_slice(&output).unwrap()),
        Err(e) => Err((e.kind.name().to_string(), e.message)),
    }
}

/// Creates an on-demand table `name` with a string hash key `pk` via `call`.
pub fn create_simple_table(engine: &Engine, name: &str) {
    call(
        engine,
        "CreateTable",
        serde_json::json!({
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap();
}

/// Waits (up to 20 s) until a GSI being backfilled reports ACTIVE.
pub fn wait_for_index(engine: &Engine, table: &str, index: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let described = call(engine, "DescribeTable", serde_json::json!({"TableName": table})).unwrap();
        let active = described["Table"]["GlobalSecondaryIndexes"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|i| i["IndexName"] == index && i["IndexStatus"] == "ACTIVE");
        if active {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "backfill of {index} never finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
