//! `cairn tail`: follow a table's stream and print each record as one JSON line —
//! a way to watch changes (and the basis for local triggers) without writing a
//! poller. It speaks the public DynamoDB Streams API over HTTP, so it works against
//! any Cairn server.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

#[derive(clap::Args)]
pub struct TailArgs {
    /// The table whose latest stream to follow.
    #[arg(long)]
    table: String,
    /// Server to read from.
    #[arg(long, env = "CAIRN_ENDPOINT", default_value = "http://127.0.0.1:8000")]
    endpoint: String,
    /// Region of the table (regions are namespaces: the same name in two regions is
    /// two tables).
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// Where to start: `trim-horizon` (oldest retained record) or `latest` (only new ones).
    #[arg(long, default_value = "trim-horizon")]
    from: String,
    /// Exit once every record written so far has been printed, instead of following.
    #[arg(long)]
    once: bool,
    /// Milliseconds between polls when caught up.
    #[arg(long, default_value_t = 500)]
    poll_ms: u64,
}

struct Client {
    host: String,
    port: u16,
    region: String,
}

impl Client {
    fn new(endpoint: &str, region: &str) -> Result<Client, String> {
        let rest = endpoint
            .strip_prefix("http://")
            .ok_or("the endpoint must start with http://")?;
        let authority = rest.split('/').next().unwrap_or(rest);
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().map_err(|_| format!("bad port in {endpoint}"))?),
            None => (authority.to_string(), 80),
        };
        Ok(Client {
            host,
            port,
            region: region.to_string(),
        })
    }

    async fn call(&self, operation: &str, body: Value) -> Result<Value, String> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let request = hyper::Request::post("/")
            .header("host", &self.host)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("DynamoDBStreams_20120810.{operation}"))
            .header(
                "authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=cairn-tail/20250101/{}/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
                    self.region
                ),
            )
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let ok = response.status().is_success();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        if ok {
            Ok(value)
        } else {
            Err(format!("{operation}: {}: {}", value["__type"], value["message"]))
        }
    }
}

pub fn run(args: TailArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(tail(args))
}

async fn tail(args: TailArgs) -> Result<(), String> {
    let client = Client::new(&args.endpoint, &args.region)?;
    let listed = client.call("ListStreams", json!({"TableName": args.table})).await?;
    let arn = listed["Streams"]
        .as_array()
        .and_then(|s| s.last())
        .and_then(|s| s["StreamArn"].as_str())
        .ok_or_else(|| format!("table {} has no stream", args.table))?
        .to_string();
    let latest = args.from == "latest";
    // Shard id -> iterator (None once the shard is finished).
    let mut iterators: BTreeMap<String, Option<String>> = BTreeMap::new();
    let stdout = std::io::stdout();
    loop {
        let description = client.call("DescribeStream", json!({"StreamArn": arn})).await?;
        for shard in description["StreamDescription"]["Shards"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let id = shard["ShardId"].as_str().unwrap_or_default().to_string();
            if iterators.contains_key(&id) {
                continue;
            }
            let closed = !shard["SequenceNumberRange"]["EndingSequenceNumber"].is_null();
            if latest && closed {
                iterators.insert(id, None);
                continue;
            }
            let kind = if latest { "LATEST" } else { "TRIM_HORIZON" };
            let it = client
                .call(
                    "GetShardIterator",
                    json!({"StreamArn": arn, "ShardId": id, "ShardIteratorType": kind}),
                )
                .await?;
            iterators.insert(id, it["ShardIterator"].as_str().map(str::to_string));
        }
        let mut printed = 0;
        for iterator in iterators.values_mut() {
            while let Some(current) = iterator.clone() {
                let page = client
                    .call("GetRecords", json!({"ShardIterator": current, "Limit": 1000}))
                    .await?;
                let records = page["Records"].as_array().cloned().unwrap_or_default();
                let mut out = stdout.lock();
                for record in &records {
                    writeln!(out, "{record}").map_err(|e| e.to_string())?;
                }
                out.flush().map_err(|e| e.to_string())?;
                printed += records.len();
                *iterator = page["NextShardIterator"].as_str().map(str::to_string);
                if records.is_empty() {
                    break;
                }
            }
        }
        if args.once && printed == 0 {
            return Ok(());
        }
        if printed == 0 {
            tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
        }
    }
}
