//! Stream triggers, Lambda-style, locally: `cairn serve --trigger
//! table=orders,exec=./notify.sh` (or `url=http://127.0.0.1:3000/hook`) delivers the
//! table's stream records in batches, in Lambda's DynamoDB event shape
//! (`{"Records": [{eventName, dynamodb: {Keys, NewImage, OldImage, ...},
//! eventSourceARN, ...}]}`): to `exec=` on the command's standard input (a non-zero
//! exit is a failure), to `url=` as a POST (a non-2xx answer is a failure).
//!
//! Delivery is in order per shard and at least once: a batch is retried with backoff
//! (`retries=`, default 3), then, with `bisect=true`, split in halves to isolate the
//! record that fails, and what still fails is written to a dead-letter file
//! (`dlq=`, default `DATA_DIR/triggers/TABLE.dlq.jsonl`) and passed. Checkpoints (the
//! last sequence number delivered per shard) are written to
//! `DATA_DIR/triggers/TABLE.checkpoint.json` (`checkpoint=` to choose), so a restarted
//! server resumes after them; with `--in-memory` they live in memory.
//!
//! `filter=` takes Lambda's event filtering patterns (JSON, or `@FILE`; see
//! `filter.rs`): records that do not match are passed over. `max_age_s=` is Lambda's
//! MaximumRecordAgeInSeconds: a batch holding a record older than that (by the
//! engine's clock) is dead-lettered instead of delivered or retried.
//!
//! A trigger is a stream consumer using the public Streams API (DescribeTable,
//! DescribeStream, GetShardIterator, GetRecords), called in-process.

pub mod filter;

use cairn_engine::{Engine, RequestContext};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where a trigger delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Exec(String),
    Url(String),
}

/// One `--trigger` as parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub table: String,
    pub target: Target,
    /// Records per batch (Lambda's BatchSize; default 100, at most 10,000).
    pub batch_size: usize,
    /// How long to gather a batch before delivering a partial one, in ms.
    pub window_ms: u64,
    /// Retries of a failed batch before it is bisected or dead-lettered.
    pub retries: u32,
    pub bisect: bool,
    pub checkpoint: Option<PathBuf>,
    pub dlq: Option<PathBuf>,
    /// The table's region (default us-east-1).
    pub region: String,
    /// Lambda event filtering (`filter=PATTERN` or `filter=@FILE`): only matching
    /// records are delivered; the others are passed over (and checkpointed).
    pub filter: Option<filter::Filter>,
    /// Lambda's MaximumRecordAgeInSeconds (`max_age_s=`, 60 to 604,800): records
    /// older than this by the engine's clock are not delivered or retried further but
    /// dead-lettered. None: no limit.
    pub max_age_s: Option<u64>,
}

/// `a=1,filter={"x": ["a", "b"]},b=2` split at its commas, except those inside the
/// JSON of a `filter=` (brackets and strings); Err if that JSON never closes.
fn split_settings(text: &str) -> Result<Vec<String>, String> {
    let mut parts: Vec<String> = Vec::new();
    let mut open_filter: Option<String> = None;
    for piece in text.split(',') {
        let joined = match open_filter.take() {
            Some(mut filter) => {
                filter.push(',');
                filter.push_str(piece);
                filter
            }
            None => piece.to_string(),
        };
        if joined.trim_start().starts_with("filter=") && !json_closed(&joined) {
            open_filter = Some(joined);
        } else {
            parts.push(joined);
        }
    }
    match open_filter {
        Some(_) => Err(format!("--trigger {text}: the filter's JSON is not closed")),
        None => Ok(parts),
    }
}

/// Whether every bracket and string opened in `text` is closed.
fn json_closed(text: &str) -> bool {
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '{' | '[' if !quoted => depth += 1,
            '}' | ']' if !quoted => depth -= 1,
            _ => {}
        }
    }
    depth <= 0 && !quoted
}

impl Spec {
    /// `table=orders,exec=./notify.sh,batch=10,window_ms=500,retries=2,bisect=true`.
    pub fn parse(text: &str) -> Result<Spec, String> {
        let mut fields = BTreeMap::new();
        let parts = split_settings(text)?;
        for part in &parts {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("--trigger {text}: `{part}` is not key=value"))?;
            if fields.insert(key.trim(), value.trim()).is_some() {
                return Err(format!("--trigger {text}: {key} given twice"));
            }
        }
        let table = fields
            .remove("table")
            .ok_or_else(|| format!("--trigger {text}: table= is required"))?;
        let target = match (fields.remove("exec"), fields.remove("url")) {
            (Some(cmd), None) => Target::Exec(cmd.to_string()),
            (None, Some(url)) if url.starts_with("http://") => Target::Url(url.to_string()),
            (None, Some(url)) => return Err(format!("--trigger {text}: url= must start with http:// ({url})")),
            _ => return Err(format!("--trigger {text}: one of exec= or url= is required")),
        };
        let number = |fields: &mut BTreeMap<&str, &str>, key: &str, default: u64, max: u64| -> Result<u64, String> {
            match fields.remove(key) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(|| format!("--trigger {text}: {key}={v} is not a number up to {max}")),
            }
        };
        let batch_size = number(&mut fields, "batch", 100, 10_000)?.max(1) as usize;
        let window_ms = number(&mut fields, "window_ms", 0, 300_000)?;
        let retries = number(&mut fields, "retries", 3, 10_000)? as u32;
        let bisect = match fields.remove("bisect") {
            None | Some("false") => false,
            Some("true") => true,
            Some(v) => return Err(format!("--trigger {text}: bisect={v} is not true or false")),
        };
        let checkpoint = fields.remove("checkpoint").map(PathBuf::from);
        let dlq = fields.remove("dlq").map(PathBuf::from);
        let region = fields.remove("region").unwrap_or("us-east-1").to_string();
        let filter = match fields.remove("filter") {
            None => None,
            Some(value) => {
                let pattern = match value.strip_prefix('@') {
                    Some(path) => {
                        std::fs::read_to_string(path).map_err(|e| format!("--trigger {text}: {path}: {e}"))?
                    }
                    None => value.to_string(),
                };
                Some(filter::Filter::parse(&pattern).map_err(|e| format!("--trigger {text}: {e}"))?)
            }
        };
        let max_age_s = match fields.remove("max_age_s") {
            None | Some("-1") => None,
            Some(v) => Some(
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (60..=604_800).contains(n))
                    .ok_or_else(|| format!("--trigger {text}: max_age_s={v} is not -1 or 60 to 604800 seconds"))?,
            ),
        };
        if let Some(key) = fields.keys().next() {
            return Err(format!("--trigger {text}: unknown setting {key}"));
        }
        Ok(Spec {
            table: table.to_string(),
            target,
            batch_size,
            window_ms,
            retries,
            bisect,
            checkpoint,
            dlq,
            region,
            filter,
            max_age_s,
        })
    }
}

/// Turns a Streams API record into a record of Lambda's DynamoDB event: the stream's
/// ARN as `eventSourceARN`, and `userIdentity` (TTL deletions) with Lambda's
/// lower-case keys (`{"type": "Service", "principalId": "dynamodb.amazonaws.com"}`).
pub fn lambda_shape(record: &mut Value, arn: &str) {
    record["eventSourceARN"] = json!(arn);
    if let Some(identity) = record.get("userIdentity").filter(|v| v.is_object()).cloned() {
        record["userIdentity"] = json!({"type": identity["Type"], "principalId": identity["PrincipalId"]});
    }
}

/// Calls an engine operation with a JSON body and answers its JSON output. The
/// engine is called directly (not through the request path): a trigger's polling is
/// not a client's traffic, so it shows in no metrics, request log or ledger.
fn call<I, O>(run: impl FnOnce(I) -> Result<O, cairn_model::ApiError>, body: &Value) -> Result<Value, (String, String)>
where
    I: serde::de::DeserializeOwned,
    O: serde::Serialize,
{
    let input: I = serde_json::from_value(body.clone()).map_err(|e| (String::new(), e.to_string()))?;
    let output = run(input).map_err(|e| (e.kind.name().to_string(), e.message))?;
    serde_json::to_value(output).map_err(|e| (String::new(), e.to_string()))
}

fn dynamodb(engine: &Engine, region: &str, operation: &str, body: &Value) -> Result<Value, (String, String)> {
    let context = RequestContext {
        region: region.to_string(),
        ..RequestContext::default()
    };
    match operation {
        "DescribeTable" => call(|i| engine.describe_table(&context, i), body),
        other => Err((String::new(), format!("not used by triggers: {other}"))),
    }
}

fn streams(engine: &Engine, operation: &str, body: &Value) -> Result<Value, (String, String)> {
    match operation {
        "DescribeStream" => call(|i| engine.describe_stream(i), body),
        "GetShardIterator" => call(|i| engine.get_shard_iterator(i), body),
        "GetRecords" => call(|i| engine.get_records(i), body),
        other => Err((String::new(), format!("not used by triggers: {other}"))),
    }
}

/// Per shard: the last sequence number delivered, and whether the shard is done.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
struct Checkpoints {
    stream: Option<String>,
    shards: BTreeMap<String, ShardCheckpoint>,
}

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
struct ShardCheckpoint {
    after: Option<String>,
    closed: bool,
}

/// A running trigger.
struct Trigger {
    engine: Arc<Engine>,
    spec: Spec,
    checkpoint_path: Option<PathBuf>,
    dlq_path: Option<PathBuf>,
    checkpoints: Checkpoints,
}

const POLL: Duration = Duration::from_millis(100);

/// Starts each trigger on a thread of its own. `data_dir` (None in memory) holds
/// checkpoints and dead letters unless a trigger names its own files.
pub fn start(engine: &Arc<Engine>, specs: Vec<Spec>, data_dir: Option<PathBuf>) {
    for spec in specs {
        let dir = data_dir.as_ref().map(|d| d.join("triggers"));
        let checkpoint_path = spec
            .checkpoint
            .clone()
            .or_else(|| dir.as_ref().map(|d| d.join(format!("{}.checkpoint.json", spec.table))));
        let dlq_path = spec
            .dlq
            .clone()
            .or_else(|| dir.as_ref().map(|d| d.join(format!("{}.dlq.jsonl", spec.table))));
        let checkpoints = checkpoint_path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let mut trigger = Trigger {
            engine: engine.clone(),
            spec,
            checkpoint_path,
            dlq_path,
            checkpoints,
        };
        let name = format!("cairn-trigger-{}", trigger.spec.table);
        std::thread::Builder::new().name(name).spawn(move || trigger.run()).ok();
    }
}

impl Trigger {
    fn run(&mut self) {
        tracing::info!(table = %self.spec.table, target = ?self.spec.target, "stream trigger started");
        loop {
            if let Err(e) = self.pass() {
                tracing::debug!(table = %self.spec.table, error = %e, "stream trigger waiting");
            }
            std::thread::sleep(POLL);
        }
    }

    /// One pass over the stream's shards, delivering what is new.
    fn pass(&mut self) -> Result<(), String> {
        let table = dynamodb(
            &self.engine,
            &self.spec.region,
            "DescribeTable",
            &json!({"TableName": self.spec.table}),
        )
        .map_err(|(c, m)| format!("{c}: {m}"))?;
        let arn = table["Table"]["LatestStreamArn"]
            .as_str()
            .ok_or("the table has no stream (enable one with a StreamSpecification)")?
            .to_string();
        if self.checkpoints.stream.as_deref() != Some(&arn) {
            // A new stream (or the first): start from its beginning.
            self.checkpoints = Checkpoints {
                stream: Some(arn.clone()),
                shards: BTreeMap::new(),
            };
        }
        let description = streams(&self.engine, "DescribeStream", &json!({"StreamArn": arn}))
            .map_err(|(c, m)| format!("{c}: {m}"))?;
        let shards: Vec<String> = description["StreamDescription"]["Shards"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["ShardId"].as_str().map(str::to_string))
            .collect();
        for shard in shards {
            let state = self.checkpoints.shards.get(&shard).cloned().unwrap_or_default();
            if state.closed {
                continue;
            }
            let open = self.drain(&arn, &shard, state.after)?;
            if open {
                // Later shards follow this one: keep the order.
                break;
            }
        }
        Ok(())
    }

    /// Delivers a shard's records after `after`; false once the shard is closed
    /// and fully delivered.
    fn drain(&mut self, arn: &str, shard: &str, after: Option<String>) -> Result<bool, String> {
        let request = match &after {
            Some(seq) => {
                json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": seq})
            }
            None => json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
        };
        let mut iterator = streams(&self.engine, "GetShardIterator", &request).map_err(|(c, m)| format!("{c}: {m}"))?
            ["ShardIterator"]
            .clone();
        let mut batch: Vec<Value> = Vec::new();
        let mut window_start = std::time::Instant::now();
        // The last record read (delivered or filtered out): the checkpoint's next value.
        let mut last_seen = after.clone();
        loop {
            let page = match streams(
                &self.engine,
                "GetRecords",
                &json!({"ShardIterator": iterator, "Limit": self.spec.batch_size}),
            ) {
                Ok(page) => page,
                // The iterator expired (the clock moved): start again from the checkpoint.
                Err((code, _)) if code == "ExpiredIteratorException" => return Ok(true),
                Err((c, m)) => return Err(format!("{c}: {m}")),
            };
            let records = page["Records"].as_array().cloned().unwrap_or_default();
            let closed = page["NextShardIterator"].is_null();
            for mut record in records {
                lambda_shape(&mut record, arn);
                last_seen = record["dynamodb"]["SequenceNumber"].as_str().map(str::to_string);
                if self.spec.filter.as_ref().is_some_and(|f| !f.matches(&record)) {
                    continue;
                }
                batch.push(record);
                if batch.len() >= self.spec.batch_size {
                    self.deliver_and_checkpoint(shard, std::mem::take(&mut batch), false, last_seen.clone())?;
                    window_start = std::time::Instant::now();
                }
            }
            let caught_up = page["Records"].as_array().is_none_or(Vec::is_empty);
            let window_over = window_start.elapsed() >= Duration::from_millis(self.spec.window_ms);
            if closed {
                self.deliver_and_checkpoint(shard, std::mem::take(&mut batch), true, last_seen.clone())?;
                return Ok(false);
            }
            if caught_up && !batch.is_empty() && !window_over {
                // The batching window is open: wait for more records to join.
                std::thread::sleep(POLL.min(Duration::from_millis(self.spec.window_ms)));
                iterator = page["NextShardIterator"].clone();
                continue;
            }
            if !batch.is_empty() && (caught_up || window_over) {
                self.deliver_and_checkpoint(shard, std::mem::take(&mut batch), false, last_seen.clone())?;
                window_start = std::time::Instant::now();
            } else if batch.is_empty() && last_seen != after {
                // Only filtered-out records since the checkpoint: pass over them.
                self.deliver_and_checkpoint(shard, Vec::new(), false, last_seen.clone())?;
            }
            if caught_up {
                // Caught up with an open shard: come back on the next pass.
                return Ok(true);
            }
            iterator = page["NextShardIterator"].clone();
        }
    }

    fn deliver_and_checkpoint(
        &mut self,
        shard: &str,
        batch: Vec<Value>,
        closed: bool,
        last: Option<String>,
    ) -> Result<(), String> {
        if !batch.is_empty() {
            self.deliver(batch);
        }
        let entry = self.checkpoints.shards.entry(shard.to_string()).or_default();
        if last.is_some() {
            entry.after = last;
        }
        entry.closed |= closed;
        self.save()
    }

    fn save(&self) -> Result<(), String> {
        let Some(path) = &self.checkpoint_path else {
            return Ok(());
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        // Written aside then renamed: a crash leaves the old checkpoint or the new.
        let partial = path.with_extension("json.partial");
        std::fs::write(&partial, serde_json::to_vec(&self.checkpoints).unwrap_or_default())
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Delivers a batch with retries; then bisects (if asked) and dead-letters what
    /// still fails. Returns once every record was delivered or dead-lettered.
    fn deliver(&self, mut batch: Vec<Value>) {
        let mut delay = Duration::from_millis(100);
        for attempt in 0..=self.spec.retries {
            // Lambda's MaximumRecordAgeInSeconds: records past it are not delivered
            // or retried further; the others still are.
            let (stale, fresh): (Vec<Value>, Vec<Value>) = batch.into_iter().partition(|r| self.too_old(r));
            if !stale.is_empty() {
                tracing::warn!(table = %self.spec.table, records = stale.len(), "records past max_age_s dead-lettered");
                self.dead_letter(&stale);
            }
            batch = fresh;
            if batch.is_empty() {
                return;
            }
            match self.send(&batch) {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(table = %self.spec.table, records = batch.len(), attempt = attempt + 1, error = %e, "trigger delivery failed");
                    if attempt < self.spec.retries {
                        std::thread::sleep(delay);
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            }
        }
        if self.spec.bisect && batch.len() > 1 {
            let mut first = batch;
            let second = first.split_off(first.len() / 2);
            self.deliver(first);
            self.deliver(second);
            return;
        }
        self.dead_letter(&batch);
    }

    /// Whether `record` is older than `max_age_s` by the engine's clock (which
    /// `--virtual-clock` moves).
    fn too_old(&self, record: &Value) -> bool {
        let Some(limit) = self.spec.max_age_s else {
            return false;
        };
        let now = self.engine.clock().now_seconds();
        record["dynamodb"]["ApproximateCreationDateTime"]
            .as_f64()
            .is_some_and(|created| now - created > limit as f64)
    }

    fn dead_letter(&self, batch: &[Value]) {
        let line = json!({"table": self.spec.table, "Records": batch}).to_string();
        match &self.dlq_path {
            Some(path) => {
                use std::io::Write;
                let written = path
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(path))
                    .and_then(|mut file| writeln!(file, "{line}"));
                if let Err(e) = written {
                    tracing::error!(path = %path.display(), error = %e, records = %line, "dead letter not written");
                }
            }
            None => tracing::error!(records = %line, "trigger gave up on a batch (no dead-letter file in memory)"),
        }
    }

    /// One delivery attempt.
    fn send(&self, batch: &[Value]) -> Result<(), String> {
        send(&self.spec.target, batch)
    }
}

/// One delivery attempt of a batch to a command or URL.
fn send(target: &Target, batch: &[Value]) -> Result<(), String> {
    let event = json!({"Records": batch}).to_string();
    match target {
        Target::Exec(command) => {
            use std::io::Write;
            let mut child = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .stdin(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot run {command}: {e}"))?;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(event.as_bytes()).map_err(|e| e.to_string())?;
            }
            let status = child.wait().map_err(|e| e.to_string())?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("{command} exited with {status}"))
            }
        }
        Target::Url(url) => post(url, &event),
    }
}

/// Delivers one batch with the spec's retries (`cairn replay`): no checkpoint, no
/// dead letter — an error once the retries are spent.
pub fn deliver_once(spec: &Spec, batch: &[Value]) -> Result<(), String> {
    let mut delay = Duration::from_millis(100);
    let mut attempt = 0;
    loop {
        match send(&spec.target, batch) {
            Ok(()) => return Ok(()),
            Err(e) if attempt >= spec.retries => return Err(e),
            Err(_) => {
                attempt += 1;
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// POSTs `body` as JSON to an http:// URL; Ok on a 2xx answer.
fn post(url: &str, body: &str) -> Result<(), String> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").ok_or("url= must start with http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = std::net::TcpStream::connect(authority).map_err(|e| format!("{url}: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| format!("{url}: {e}"))?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).map_err(|e| format!("{url}: {e}"))?;
    let status = std::str::from_utf8(&head[9..12]).unwrap_or("000");
    if status.starts_with('2') {
        Ok(())
    } else {
        Err(format!("{url} answered {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_spec_is_parsed_with_its_defaults() {
        let spec = Spec::parse("table=orders,exec=./notify.sh").unwrap();
        assert_eq!(spec.target, Target::Exec("./notify.sh".into()));
        assert_eq!((spec.batch_size, spec.retries, spec.bisect), (100, 3, false));
        let spec = Spec::parse("table=t,url=http://127.0.0.1:3000/hook,batch=10,bisect=true").unwrap();
        assert_eq!(spec.target, Target::Url("http://127.0.0.1:3000/hook".into()));
        assert_eq!((spec.batch_size, spec.bisect), (10, true));
    }

    #[test]
    fn a_filter_with_commas_inside_its_json_is_one_setting() {
        let spec = Spec::parse(
            r#"table=t,exec=x,filter={"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "a,b"}]}}}},batch=5"#,
        )
        .unwrap();
        assert_eq!(spec.batch_size, 5);
        let insert = json!({"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "a,b1"}}}});
        let remove = json!({"eventName": "REMOVE", "dynamodb": {"Keys": {"pk": {"S": "a,b1"}}}});
        let filter = spec.filter.unwrap();
        assert!(filter.matches(&insert));
        assert!(!filter.matches(&remove));
    }

    #[test]
    fn only_a_filter_keeps_its_commas() {
        // A quote in a command does not swallow the settings after it.
        let spec = Spec::parse(r#"table=t,exec=echo "a,batch=5"#).unwrap();
        assert_eq!(spec.target, Target::Exec(r#"echo "a"#.into()));
        assert_eq!(spec.batch_size, 5);
        assert_eq!(
            Spec::parse(r#"table=t,exec=x,filter={"eventName": ["INSERT"]"#).unwrap_err(),
            r#"--trigger table=t,exec=x,filter={"eventName": ["INSERT"]: the filter's JSON is not closed"#
        );
    }

    #[test]
    fn a_filter_can_be_read_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        std::fs::write(&path, r#"{"eventName": ["REMOVE"]}"#).unwrap();
        let spec = Spec::parse(&format!("table=t,exec=x,filter=@{}", path.display())).unwrap();
        assert!(spec.filter.unwrap().matches(&json!({"eventName": "REMOVE"})));
        let missing = Spec::parse("table=t,exec=x,filter=@/no/such/file").unwrap_err();
        assert!(
            missing.starts_with("--trigger table=t,exec=x,filter=@/no/such/file: /no/such/file: "),
            "{missing}"
        );
    }

    #[test]
    fn max_age_is_minus_one_or_60_to_604800_seconds() {
        assert_eq!(Spec::parse("table=t,exec=x,max_age_s=60").unwrap().max_age_s, Some(60));
        assert_eq!(Spec::parse("table=t,exec=x,max_age_s=-1").unwrap().max_age_s, None);
        assert_eq!(
            Spec::parse("table=t,exec=x,max_age_s=59").unwrap_err(),
            "--trigger table=t,exec=x,max_age_s=59: max_age_s=59 is not -1 or 60 to 604800 seconds"
        );
    }

    #[test]
    fn a_bad_trigger_spec_says_what_is_wrong() {
        assert_eq!(
            Spec::parse(r#"table=t,exec=x,filter={"eventName": "INSERT"}"#).unwrap_err(),
            r#"--trigger table=t,exec=x,filter={"eventName": "INSERT"}: filter field eventName: a leaf is a non-empty array of conditions, e.g. ["INSERT"]"#
        );
        assert_eq!(
            Spec::parse("exec=./x").unwrap_err(),
            "--trigger exec=./x: table= is required"
        );
        assert_eq!(
            Spec::parse("table=t").unwrap_err(),
            "--trigger table=t: one of exec= or url= is required"
        );
        assert_eq!(
            Spec::parse("table=t,exec=x,colour=red").unwrap_err(),
            "--trigger table=t,exec=x,colour=red: unknown setting colour"
        );
        assert_eq!(
            Spec::parse("table=t,exec=x,batch=many").unwrap_err(),
            "--trigger table=t,exec=x,batch=many: batch=many is not a number up to 10000"
        );
    }
}
