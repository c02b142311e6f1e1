//! Where the data commands (`backup`, `export`, `import`) send their DynamoDB calls:
//! a running server (`--endpoint`, plain JSON over HTTP, any DynamoDB-compatible
//! endpoint) or a data directory opened in this process (`--data-dir`, the server
//! must not be running on it).

use bytes::Bytes;
use cairn_engine::{Engine, EngineConfig};
use cairn_storage::{Durability, EmbeddedStorage};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args, Clone)]
pub struct TargetArgs {
    /// Server to talk to.
    #[arg(
        long,
        env = "CAIRN_ENDPOINT",
        default_value = "http://127.0.0.1:8000",
        conflicts_with = "data_dir"
    )]
    pub endpoint: String,
    /// Work on this data directory directly instead of a server (stop the server
    /// first: the store takes one process at a time).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// With --data-dir: the S3 stand-in directory (default: `s3` in the data directory).
    #[arg(long)]
    pub s3_root: Option<PathBuf>,
    /// Region the tables live in.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
}

/// A DynamoDB API to call.
pub enum Target {
    Remote {
        runtime: tokio::runtime::Runtime,
        client: hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
        url: String,
        host: String,
        region: String,
    },
    Local {
        engine: Arc<Engine>,
        context: cairn_engine::RequestContext,
        /// The data directory's lock, held while the command works on it.
        _lock: std::fs::File,
    },
}

/// A call's failure: the error type (empty for transport trouble) and message.
#[derive(Debug, Clone)]
pub struct CallError {
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.code.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

fn transport(e: impl std::fmt::Display) -> CallError {
    CallError {
        code: String::new(),
        message: e.to_string(),
    }
}

impl Target {
    pub fn open(args: &TargetArgs) -> Result<Target, String> {
        if let Some(dir) = &args.data_dir {
            let lock = crate::data_dir::lock(dir)?;
            let storage = EmbeddedStorage::open(dir, Durability::Journal)
                .map_err(|e| format!("cannot open data directory {}: {e}", dir.display()))?;
            let root = args.s3_root.clone().unwrap_or_else(|| dir.join("s3"));
            let config = EngineConfig {
                objects: Arc::new(cairn_engine::transfer::objects::LocalDirectory::new(root)),
                run_transfers: false,
                ..EngineConfig::default()
            };
            let engine = Arc::new(Engine::new(Arc::new(storage), config).map_err(|e| e.to_string())?);
            // Background work (restores, imports, exports) runs while the command waits.
            engine.start_ttl_sweeper(std::time::Duration::from_millis(200));
            return Ok(Target::Local {
                engine,
                context: cairn_engine::RequestContext {
                    region: args.region.clone(),
                    ..cairn_engine::RequestContext::default()
                },
                _lock: lock,
            });
        }
        let rest = args
            .endpoint
            .strip_prefix("http://")
            .ok_or("the endpoint must start with http://")?;
        let authority = rest.split('/').next().unwrap_or(rest);
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse().map_err(|_| format!("bad port in {}", args.endpoint))?,
            ),
            None => (authority.to_string(), 80),
        };
        // Several threads call at once (imports send batches in parallel), over
        // kept-alive connections.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let client = {
            let _entered = runtime.enter();
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(hyper_util::client::legacy::connect::HttpConnector::new())
        };
        Ok(Target::Remote {
            runtime,
            client,
            url: format!("http://{host}:{port}/"),
            host,
            region: args.region.clone(),
        })
    }

    /// Calls `operation` (`PutItem`, `DescribeTable`, ...) with a JSON body.
    pub fn call(&self, operation: &str, body: &Value) -> Result<Value, CallError> {
        self.call_target(&format!("DynamoDB_20120810.{operation}"), body)
    }

    /// Calls a DynamoDB Streams operation (`GetRecords`, ...) with a JSON body.
    pub fn call_streams(&self, operation: &str, body: &Value) -> Result<Value, CallError> {
        self.call_target(&format!("DynamoDBStreams_20120810.{operation}"), body)
    }

    /// One call by its whole X-Amz-Target.
    fn call_target(&self, target: &str, body: &Value) -> Result<Value, CallError> {
        match self {
            Target::Local { engine, context, .. } => {
                let bytes = serde_json::to_vec(body).map_err(transport)?;
                match cairn_server::call_operation(engine, context, Some(target), &bytes) {
                    Ok(out) => serde_json::from_slice(&out).map_err(transport),
                    Err(e) => Err(CallError {
                        code: e.kind.name().to_string(),
                        message: e.message,
                    }),
                }
            }
            Target::Remote {
                runtime,
                client,
                url,
                host,
                region,
            } => runtime.block_on(remote_call(client, url, host, region, target, body)),
        }
    }

    /// Explains a read request (`cairn explain`): the server's `/_cairn/explain`, or
    /// the data directory's engine.
    pub fn explain(&self, operation: &str, body: &Value) -> Result<Value, CallError> {
        match self {
            Target::Local { engine, context, .. } => {
                let bytes = serde_json::to_vec(body).map_err(transport)?;
                let target = format!("DynamoDB_20120810.{operation}");
                match cairn_server::admin::explain::explain(engine, context, Some(&target), &bytes) {
                    Ok(explained) => serde_json::to_value(explained).map_err(transport),
                    Err(e) => Err(CallError {
                        code: e.kind.name().to_string(),
                        message: e.message,
                    }),
                }
            }
            Target::Remote {
                runtime,
                client,
                url,
                host,
                region,
            } => runtime.block_on(remote_call(
                client,
                &format!("{url}_cairn/explain"),
                host,
                region,
                &format!("DynamoDB_20120810.{operation}"),
                body,
            )),
        }
    }

    /// Calls with retries of what a client retries (throttling, transport errors,
    /// 5xx), backing off.
    pub fn call_retrying(&self, operation: &str, body: &Value) -> Result<Value, CallError> {
        let mut delay = std::time::Duration::from_millis(50);
        for attempt in 0.. {
            match self.call(operation, body) {
                Err(e) if attempt < 8 && retryable(&e) => {
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(std::time::Duration::from_secs(5));
                }
                other => return other,
            }
        }
        unreachable!("the loop returns")
    }
}

fn retryable(e: &CallError) -> bool {
    e.code.is_empty()
        || matches!(
            e.code.as_str(),
            "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "InternalServerError"
                | "ServiceUnavailableException"
                | "TransactionConflictException"
        )
}

/// One call; `target` is the whole X-Amz-Target (`DynamoDB_20120810.PutItem`).
async fn remote_call(
    client: &hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    url: &str,
    host: &str,
    region: &str,
    target: &str,
    body: &Value,
) -> Result<Value, CallError> {
    let request = hyper::Request::post(url)
        .header("host", host)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", target)
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=cairn-cli/20250101/{region}/dynamodb/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(transport)?;
    let response = client.request(request).await.map_err(transport)?;
    let ok = response.status().is_success();
    let bytes = response.into_body().collect().await.map_err(transport)?.to_bytes();
    let value: Value = serde_json::from_slice(&bytes).map_err(transport)?;
    if ok {
        Ok(value)
    } else {
        let code = value["__type"].as_str().unwrap_or_default();
        Err(CallError {
            code: code.rsplit('#').next().unwrap_or(code).to_string(),
            message: value["message"]
                .as_str()
                .or(value["Message"].as_str())
                .unwrap_or_default()
                .to_string(),
        })
    }
}
