//! The HTTP/1.1 listener and the per-request pipeline: health check, body limits and
//! gzip, authorization, routing, the engine call (a panic becomes a 500, never a dead
//! server), and the response headers SDKs check.

use crate::auth::{context_from_authorization, Authenticator};
use crate::encoding::{compress_response, decode_body};
use crate::listener::{AcceptBackoff, RateLimitedLog};
use crate::router::route;
use crate::wire::error_body;
use bytes::Bytes;
use cairn_auth::sigv4::Headers;
use cairn_auth::HttpRequest;
use cairn_engine::{Engine, RequestContext};
use cairn_model::{ApiError, ErrorKind};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ACCEPT_ENCODING, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ORIGIN, SERVER,
};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::Watcher;
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Largest request body accepted, compressed or not: DynamoDB's 16 MB request limit.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
const CONTENT_TYPE_JSON: &str = "application/x-amz-json-1.0";

#[derive(Clone)]
pub struct ServerConfig {
    /// Run engine calls off the async workers, for a backend whose commits wait on
    /// disk (fsync per commit).
    pub engine_blocks: bool,
    /// How long a client may take to send a request's headers, and then its body.
    /// A stalled request is answered 408 and its connection closed.
    pub request_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// On shutdown, how long in-flight requests may take to finish before the
    /// remaining connections are closed.
    pub shutdown_grace: Duration,
    /// Verify SigV4 signatures and policies; `None` trusts every caller.
    pub authenticator: Option<Arc<Authenticator>>,
    /// Serve HTTPS with this configuration instead of plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Asked by the health check (`GET /`): whether the storage can be reached.
    pub health: Option<HealthCheck>,
    /// `--virtual-clock`: the engine's clock, moved by `/_cairn/clock`.
    pub virtual_clock: Option<Arc<cairn_engine::VirtualClock>>,
    /// Fault injection rules (`--faults FILE`, `/_cairn/faults`); none by default.
    pub faults: Arc<crate::admin::faults::Faults>,
    /// Run after `/_cairn/reset` empties the server: loads `--seed` again.
    pub after_reset: Option<crate::admin::snapshots::AfterReset>,
    /// DynamoDB Local's behaviour (`--dynamodb-local`): tables per access key and
    /// region, ARNs in region `ddblocal`.
    pub local_mode: Option<Arc<crate::local_mode::LocalMode>>,
    /// Origins browsers may call from (`--cors`); None: any (`*`), as DynamoDB allows.
    pub cors_origins: Option<Arc<Vec<String>>>,
    /// The web console under `/console/` (embedded files unless `--console-dir` or
    /// `--no-console`).
    pub console: crate::console::Console,
    /// Serve each connection on one of these threads (see `connection_threads`);
    /// None: on the async runtime that runs `serve`.
    pub connection_threads: Option<Arc<crate::connection_threads::ConnectionThreads>>,
}

/// Whether the backend answers (a database backend's reachability).
pub type HealthCheck = Arc<dyn Fn() -> bool + Send + Sync>;

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            engine_blocks: false,
            request_timeout: Duration::from_secs(30),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(10),
            authenticator: None,
            tls: None,
            health: None,
            virtual_clock: None,
            faults: Arc::default(),
            after_reset: None,
            local_mode: None,
            cors_origins: None,
            console: crate::console::Console::Embedded,
            connection_threads: None,
        }
    }
}

struct Shared {
    engine: Arc<Engine>,
    config: ServerConfig,
    request_ids: RequestIds,
    /// The runtime `serve` was called on: blocking calls (database round trips,
    /// reports) run on its blocking pool, whose threads have its stack size, even
    /// for connections served on connection threads.
    blocking: tokio::runtime::Handle,
}

/// Unique request ids without a random draw per request: a random per-process
/// prefix and a counter.
struct RequestIds {
    prefix: String,
    counter: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        RequestIds {
            prefix: prefix[..20].to_string(),
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> String {
        format!("{}{:016X}", self.prefix, self.counter.fetch_add(1, Ordering::Relaxed))
    }
}

/// Serves connections from `listener` until `shutdown` completes, then lets
/// in-flight requests finish for at most `shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    engine: Arc<Engine>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    engine.attach();
    let connections = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let grace = config.shutdown_grace;
    let shared = Arc::new(Shared {
        engine,
        config,
        request_ids: RequestIds::new(),
        blocking: tokio::runtime::Handle::current(),
    });
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut backoff = AcceptBackoff::new();
    let mut accept_errors = RateLimitedLog::new(Duration::from_secs(5));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                backoff.succeeded();
                stream
            }
            Err(e) => {
                if let Some(suppressed) = accept_errors.allow(Instant::now()) {
                    tracing::warn!(error = %e, suppressed, "accept failed; pausing before the next accept");
                }
                tokio::time::sleep(backoff.failed()).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let watcher = graceful.watcher();
        let threads = shared.config.connection_threads.clone();
        let shared = shared.clone();
        let connection = |stream: tokio::net::TcpStream| async move {
            match shared.config.tls.clone() {
                None => serve_connection(stream, shared, false, watcher).await,
                Some(tls) => {
                    let handshake = tokio_rustls::TlsAcceptor::from(tls).accept(stream);
                    match tokio::time::timeout(shared.config.request_timeout, handshake).await {
                        Ok(Ok(stream)) => serve_connection(stream, shared, true, watcher).await,
                        // Plain HTTP, a scanner or a stalled client: nothing to answer.
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
            }
            drop(permit);
        };
        match threads {
            None => {
                tokio::spawn(connection(stream));
            }
            Some(threads) => {
                // The socket leaves this runtime's I/O driver and joins that of the
                // thread that serves it.
                let stream = match stream.into_std() {
                    Ok(stream) => stream,
                    Err(e) => {
                        tracing::debug!(error = %e, "cannot hand an accepted connection over");
                        continue;
                    }
                };
                threads.serve(move || async move {
                    match tokio::net::TcpStream::from_std(stream) {
                        Ok(stream) => connection(stream).await,
                        Err(e) => tracing::debug!(error = %e, "cannot serve an accepted connection"),
                    }
                });
            }
        }
    }
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            grace_ms = grace.as_millis() as u64,
            "connections still open after the shutdown grace period are being closed"
        );
    }
    Ok(())
}

/// Serves HTTP/1.1 requests on one accepted connection (plain or TLS) until it closes
/// or the server shuts down.
async fn serve_connection<S>(stream: S, shared: Arc<Shared>, secure: bool, watcher: Watcher)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service_shared = shared.clone();
    let service = hyper::service::service_fn(move |req| {
        let shared = service_shared.clone();
        async move { Ok::<_, Infallible>(handle(req, &shared, secure).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.config.request_timeout)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

async fn handle(req: Request<Incoming>, shared: &Shared, secure: bool) -> Response<Full<Bytes>> {
    let request_id = shared.request_ids.next();
    let text_header = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let accept_encoding = text_header(ACCEPT_ENCODING);
    let origin = text_header(ORIGIN);
    // What Access-Control-Allow-Origin a caller gets: `*` without --cors (as
    // DynamoDB answers) or when it lists `*`, the caller's origin when it is listed,
    // nothing otherwise (the browser then refuses).
    let allow = match (&shared.config.cors_origins, &origin) {
        (None, _) => Some(HeaderValue::from_static("*")),
        (Some(list), _) if list.iter().any(|o| o == "*") => Some(HeaderValue::from_static("*")),
        (Some(list), Some(origin)) if list.contains(origin) => HeaderValue::from_str(origin).ok(),
        (Some(_), _) => None,
    };
    if req.method() == Method::OPTIONS {
        let preflight = match &allow {
            Some(_) => cors_preflight(text_header(ACCESS_CONTROL_REQUEST_HEADERS)),
            None => Response::new(Full::new(Bytes::new())),
        };
        return finish(preflight, &request_id, allow);
    }
    // A page in a browser can send a simple POST anywhere without asking: the admin
    // API (reset, restore, clock, faults) answers no origin --cors does not name.
    if req.uri().path().starts_with(ADMIN_PREFIX) && req.method() != Method::GET {
        let listed = matches!((&shared.config.cors_origins, &origin), (Some(list), Some(o)) if list.contains(o));
        // A page this server serves itself (a console) is of its own origin.
        let host = text_header(hyper::header::HOST);
        let same_origin = origin.as_deref().and_then(|o| o.split_once("://")).map(|(_, h)| h) == host.as_deref();
        if origin.is_some() && !listed && !same_origin {
            let refused = plain_response(
                StatusCode::FORBIDDEN,
                "the admin API refuses calls from web pages (an Origin header) unless --cors names their origin"
                    .to_string(),
            );
            return finish(refused, &request_id, None);
        }
    }
    // The admin API is for tools and the console (same origin): no CORS grant lets
    // another site's page read a local server's tables or traffic.
    let allowed_origin = if req.uri().path().starts_with(ADMIN_PREFIX) {
        None
    } else {
        origin.and(allow)
    };
    let response = respond(req, shared, accept_encoding.as_deref(), secure, &request_id).await;
    finish(response, &request_id, allowed_origin)
}

/// Headers every response carries: the request id, DynamoDB's `Server` value, and,
/// for a browser (a request with an Origin) that may call, the CORS headers DynamoDB
/// sends.
fn finish(
    mut response: Response<Full<Bytes>>,
    request_id: &str,
    allowed_origin: Option<HeaderValue>,
) -> Response<Full<Bytes>> {
    let headers = response.headers_mut();
    headers.insert(SERVER, HeaderValue::from_static("Server"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    if let Some(origin) = allowed_origin {
        if origin != "*" {
            // The answer depends on who asks: caches must keep one per origin.
            headers.insert(hyper::header::VARY, HeaderValue::from_static("Origin"));
        }
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"),
        );
    }
    response
}

/// DynamoDB's answer to a CORS preflight: any origin, POST, the headers asked for,
/// cached for two days.
fn cors_preflight(requested_headers: Option<String>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("172800"));
    if let Some(value) = requested_headers.and_then(|h| HeaderValue::from_str(&h).ok()) {
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, value);
    }
    response
}

async fn respond(
    req: Request<Incoming>,
    shared: &Shared,
    accept_encoding: Option<&str>,
    secure: bool,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let result = process(req, shared, secure, request_id).await;
    let (status, body) = match result {
        Ok(Reply::Json(body)) => (StatusCode::OK, body),
        Ok(Reply::Status(body)) => return json_response(StatusCode::OK, body, None),
        Ok(Reply::Health(host)) => return plain_response(StatusCode::OK, format!("healthy: {host} ")),
        Ok(Reply::Unhealthy) => {
            return plain_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "unhealthy: the database cannot be reached".to_string(),
            )
        }
        Ok(Reply::Asset(content_type, body)) => return crate::console::asset_response(content_type, body),
        Ok(Reply::Redirect(location)) => {
            let mut response = plain_response(StatusCode::PERMANENT_REDIRECT, String::new());
            response
                .headers_mut()
                .insert(hyper::header::LOCATION, HeaderValue::from_static(location));
            return response;
        }
        Ok(Reply::NotFound) => {
            return plain_response(StatusCode::NOT_FOUND, "<UnknownOperationException/>".to_string())
        }
        Err(error) => {
            let status = StatusCode::from_u16(error.kind.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = json_response(status, error_body(&error), None);
            if matches!(error.kind, ErrorKind::RequestTimeout | ErrorKind::RequestEntityTooLarge) {
                // The rest of the body was never read: the connection cannot carry
                // another request.
                response
                    .headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            return response;
        }
    };
    json_response(status, body, accept_encoding)
}

enum Reply {
    Json(Vec<u8>),
    /// `GET /`: the health check, naming the host the client addressed.
    Health(String),
    /// `GET /` while the storage backend cannot be reached.
    Unhealthy,
    /// `GET /_cairn/status`: this server's identity and its share of the work.
    Status(Vec<u8>),
    /// A file of the web console.
    Asset(&'static str, Vec<u8>),
    /// Where a path of the console is found instead.
    Redirect(&'static str),
    /// A GET of any other path.
    NotFound,
}

/// Where the admin API lives: paths no SDK sends (they POST to `/`).
const ADMIN_PREFIX: &str = "/_cairn/";
/// A path no SDK sends (they POST to `/`).
const STATUS_PATH: &str = "/_cairn/status";
/// The cost ledger as JSON (`?since=1h`).
const COST_PATH: &str = "/_cairn/cost";
/// `cairn explain`: a read request's plan and cost, run without side effects.
const EXPLAIN_PATH: &str = "/_cairn/explain";
/// The most accessed and throttled keys (`?table=T[&index=I][&region=R]`).
const CONTRIBUTORS_PATH: &str = "/_cairn/contributor-insights";

/// `90`, `90s`, `15m`, `1h`, `7d` as seconds.
pub fn parse_duration(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number.parse().ok()?;
    let scale = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return None,
    };
    Some(value * scale).filter(|v| v.is_finite() && *v > 0.0)
}

/// What `GET /_cairn/status` answers: which server this is, whether its store is
/// shared with other servers and reachable, and the leases it holds (`background`
/// on the one server running TTL sweeps, stream trimming, purges and backfills).
async fn status(shared: &Shared) -> Vec<u8> {
    let reachable = match shared.config.health.clone() {
        Some(check) => shared.blocking.spawn_blocking(move || check()).await.unwrap_or(false),
        None => true,
    };
    let engine = &shared.engine;
    serde_json::to_vec(&serde_json::json!({
        "serverId": engine.server_id(),
        "sharedStorage": engine.shares_storage(),
        "storageReachable": reachable,
        "leases": engine.leases_held(),
    }))
    .unwrap_or_default()
}

async fn process(req: Request<Incoming>, shared: &Shared, secure: bool, request_id: &str) -> Result<Reply, ApiError> {
    if req.uri().path() == crate::admin::faults::PATH {
        // Like the clock: a test tool, not on a server that verifies its callers.
        if shared.config.authenticator.is_some() {
            return Ok(Reply::NotFound);
        }
        let method = req.method().as_str().to_string();
        let body = tokio::time::timeout(
            shared.config.request_timeout,
            Limited::new(req.into_body(), 64 * 1024).collect(),
        )
        .await
        .map_err(|_| {
            ApiError::new(
                ErrorKind::RequestTimeout,
                "Request timed out before its body was received",
            )
        })?
        .map_err(|_| ApiError::validation("a fault rule is at most 64 KB of JSON"))?
        .to_bytes();
        return shared.config.faults.handle(&method, &body).map(Reply::Status);
    }
    let path = req.uri().path();
    let snapshots_path = path
        .strip_prefix(crate::admin::snapshots::PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if path == crate::admin::snapshots::RESET_PATH || snapshots_path {
        // Rolling a whole server back is for test servers, like the clock.
        if shared.config.authenticator.is_some() {
            return Ok(Reply::NotFound);
        }
        // Every engine: with --dynamodb-local, each access key and region has one.
        let mut engines = vec![shared.engine.clone()];
        if let Some(local) = &shared.config.local_mode {
            engines.extend(local.engines());
        }
        let after_reset = shared.config.after_reset.clone();
        let (method, path) = (req.method().as_str().to_string(), path.to_string());
        return shared
            .blocking
            .spawn_blocking(move || crate::admin::snapshots::handle(&engines, after_reset.as_ref(), &method, &path))
            .await
            .map_err(|_| ApiError::internal("the snapshot call failed"))?
            .map(Reply::Status);
    }
    if req.uri().path().starts_with(crate::admin::clock::PATH) {
        // Moving time is for test servers: not on one that verifies its callers.
        return match (&shared.config.virtual_clock, &shared.config.authenticator) {
            (Some(clock), None) => {
                crate::admin::clock::handle(clock, req.method().as_str(), req.uri().path(), req.uri().query())
                    .map(Reply::Status)
            }
            _ => Ok(Reply::NotFound),
        };
    }
    if req.method() == Method::GET {
        if req.uri().path() == STATUS_PATH {
            return Ok(Reply::Status(status(shared).await));
        }
        // The cost ledger names tables and their traffic: only on a server that
        // does not verify callers (with --auth sigv4, use --metrics-addr instead).
        if req.uri().path() == COST_PATH && shared.config.authenticator.is_none() {
            let since = req
                .uri()
                .query()
                .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("since=")))
                .and_then(parse_duration)
                .unwrap_or(3600.0);
            let engine = shared.engine.clone();
            let report = shared
                .blocking
                .spawn_blocking(move || serde_json::to_vec(&engine.cost_report(since)))
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            return Ok(Reply::Status(report));
        }
        // Contributor Insights' top keys, like the cost ledger only without --auth.
        if req.uri().path() == CONTRIBUTORS_PATH && shared.config.authenticator.is_none() {
            let param = |name: &str| {
                req.uri()
                    .query()
                    .and_then(|q| q.split('&').find_map(|p| p.strip_prefix(name)?.strip_prefix('=')))
                    .map(str::to_string)
            };
            let (table, index) = (param("table").unwrap_or_default(), param("index"));
            let region = param("region").unwrap_or_else(|| "us-east-1".to_string());
            let engine = shared.engine.clone();
            let report = shared
                .blocking
                .spawn_blocking(move || {
                    engine
                        .contributor_report(&region, &table, index.as_deref())
                        .ok()
                        .and_then(|r| serde_json::to_vec(&r).ok())
                })
                .await
                .ok()
                .flatten();
            return Ok(report.map_or(Reply::NotFound, Reply::Status));
        }
        if let Some(asset) = crate::console::asset(&shared.config.console, req.uri().path()) {
            return Ok(match asset {
                crate::console::Asset::File { content_type, body } => Reply::Asset(content_type, body),
                crate::console::Asset::Redirect(location) => Reply::Redirect(location),
                crate::console::Asset::Missing => Reply::NotFound,
            });
        }
        // The console's charts: request rates per table, like the cost ledger only
        // without --auth.
        if req.uri().path() == crate::console::STATS_PATH
            && shared.config.authenticator.is_none()
            && !matches!(shared.config.console, crate::console::Console::Off)
        {
            let param = |name: &str| {
                req.uri()
                    .query()
                    .and_then(|q| q.split('&').find_map(|p| p.strip_prefix(name)?.strip_prefix('=')))
                    .map(crate::console::percent_decode)
            };
            let table = param("table").unwrap_or_default();
            let region = param("region").unwrap_or_else(|| "us-east-1".to_string());
            return Ok(Reply::Status(crate::console::stats_json(&region, &table)));
        }
        if req.uri().path() != "/" {
            return Ok(Reply::NotFound);
        }
        let host = req
            .headers()
            .get(hyper::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("dynamodb.us-east-1.amazonaws.com");
        if let Some(check) = shared.config.health.clone() {
            // The check may wait on the database: not on an async worker.
            let reachable = shared.blocking.spawn_blocking(move || check()).await.unwrap_or(false);
            if !reachable {
                return Ok(Reply::Unhealthy);
            }
        }
        return Ok(Reply::Health(host.to_string()));
    }
    if req.method() != Method::POST {
        return Err(ApiError::unknown_operation());
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let target = header("x-amz-target");
    let authorization = header("authorization");
    let content_encoding = header(CONTENT_ENCODING.as_str());
    let declared_length = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let (parts, body) = req.into_parts();
    let body = match tokio::time::timeout(
        shared.config.request_timeout,
        Limited::new(body, MAX_BODY_BYTES).collect(),
    )
    .await
    {
        Err(_) => {
            return Err(ApiError::new(
                ErrorKind::RequestTimeout,
                "Request timed out before its body was received",
            ))
        }
        Ok(Err(e)) if e.is::<LengthLimitError>() => return Err(too_large()),
        Ok(Err(_)) => return Err(ApiError::serialization("Request body could not be read")),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let context = match &shared.config.authenticator {
        Some(authenticator) => authenticator.authenticate(
            &HttpRequest {
                method: "POST",
                path: parts.uri.path(),
                query: parts.uri.query(),
                headers: &HyperHeaders(&parts.headers),
                body: &body,
            },
            secure,
        )?,
        None => context_from_authorization(authorization.as_deref())?,
    };
    let body = decode_body(content_encoding.as_deref(), body.to_vec(), MAX_BODY_BYTES)?;
    let (engine, context) = match &shared.config.local_mode {
        Some(local) => local.route(&shared.engine, context)?,
        None => (shared.engine.clone(), context),
    };
    if parts.uri.path() == EXPLAIN_PATH {
        // Like the cost ledger: only on a server that does not verify callers.
        if shared.config.authenticator.is_some() {
            return Ok(Reply::NotFound);
        }
        let explained = shared
            .blocking
            .spawn_blocking(move || {
                crate::admin::explain::explain(&engine, &context, target.as_deref(), &body)
                    .map(|e| serde_json::to_vec(&e).unwrap_or_default())
            })
            .await
            .unwrap_or_else(|_| Err(ApiError::internal("Internal server error")))?;
        return Ok(Reply::Json(explained));
    }
    // Injected faults hit operations only (not explain, not an unknown target).
    if shared.config.faults.active() && crate::router::route(target.as_deref()).is_ok() {
        #[derive(serde::Deserialize)]
        struct Named {
            #[serde(rename = "TableName")]
            table_name: Option<String>,
        }
        let operation = target.as_deref().and_then(|t| t.rsplit('.').next()).unwrap_or_default();
        let table = serde_json::from_slice::<Named>(&body).ok().and_then(|n| n.table_name);
        let fault = shared.config.faults.on_request(operation, table.as_deref());
        if let Some(delay) = fault.delay {
            tokio::time::sleep(delay).await;
        }
        if let Some(error) = fault.error {
            return Err(error);
        }
    }
    let request_id = request_id.to_string();
    let call = move || call_operation_as(&engine, &context, target.as_deref(), &body, &request_id);
    let output = if shared.config.engine_blocks {
        shared
            .blocking
            .spawn_blocking(call)
            .await
            .unwrap_or_else(|_| Err(ApiError::internal("Internal server error")))?
    } else {
        call()?
    };
    Ok(Reply::Json(output))
}

/// Runs one operation on a request body already read and decompressed: routing,
/// decoding, the engine call and encoding. A panic becomes a 500, never a dead server.
/// Public so that tests and the request-path fuzz target drive exactly what the
/// listener runs, without a socket.
pub fn call_operation(
    engine: &Engine,
    context: &RequestContext,
    target: Option<&str>,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    call_operation_as(engine, context, target, body, "-")
}

/// [`call_operation`] for the request `request_id` (named in the request log).
fn call_operation_as(
    engine: &Engine,
    context: &RequestContext,
    target: Option<&str>,
    body: &[u8],
    request_id: &str,
) -> Result<Vec<u8>, ApiError> {
    let handler = route(target)?;
    let operation = target.and_then(|t| t.rsplit('.').next()).unwrap_or_default();
    let started = std::time::Instant::now();
    let (result, metered) = engine.metered(operation, context, || {
        std::panic::catch_unwind(AssertUnwindSafe(|| handler(engine, context, body)))
            .unwrap_or_else(|_| Err(ApiError::internal("Internal server error")))
    });
    let elapsed = started.elapsed();
    crate::metrics::record(operation, &metered, result.as_ref().map(|_| ()), elapsed);
    crate::metrics::log_request(request_id, operation, &metered, result.as_ref().map(|_| ()), elapsed);
    if let Some(table) = metered.tables.first() {
        let (read_units, write_units) = metered.usage.iter().fold((0.0, 0.0), |(r, w), u| {
            let units = u.table_units + u.index_units.iter().map(|(_, x)| x).sum::<f64>();
            match u.kind {
                cairn_engine::capacity::throttle::UsageKind::Read => (r + units, w),
                cairn_engine::capacity::throttle::UsageKind::Write => (r, w + units),
            }
        });
        let throttled = !metered.throttled.is_empty()
            || matches!(&result, Err(e) if matches!(e.kind,
                ErrorKind::ProvisionedThroughputExceeded | ErrorKind::Throttling | ErrorKind::RequestLimitExceeded));
        crate::console::record(crate::console::Observation {
            region: &context.region,
            table,
            elapsed,
            failed: result.is_err(),
            throttled,
            read_units,
            write_units,
        });
    }
    result
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorKind::RequestEntityTooLarge,
        "Request body is larger than the 16 MB DynamoDB accepts",
    )
}

/// A JSON response, compressed when the client asked and it is large; x-amz-crc32
/// covers the bytes sent, as DynamoDB's does.
fn json_response(status: StatusCode, body: Vec<u8>, accept_encoding: Option<&str>) -> Response<Full<Bytes>> {
    let (coding, body) = match compress_response(accept_encoding, &body) {
        Some((coding, compressed)) => (Some(coding), compressed),
        None => (None, body),
    };
    let crc = crc32fast::hash(&body);
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_JSON));
    headers.insert("x-amz-crc32", HeaderValue::from(crc));
    if let Some(coding) = coding {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    response
}

fn plain_response(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

/// The request's headers as SigV4 reads them, without copying them.
struct HyperHeaders<'a>(&'a hyper::HeaderMap);

impl Headers for HyperHeaders<'_> {
    fn each_value(&self, name: &str, each: &mut dyn FnMut(&str)) {
        for value in self.0.get_all(name) {
            each(std::str::from_utf8(value.as_bytes()).unwrap_or(""));
        }
    }

    fn first(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
    }
}
