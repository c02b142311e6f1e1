//! The HTTP/1.1 listener and the per-request pipeline: health check, body limits and
//! gzip, authorization, routing, the engine call (a panic becomes a 500, never a dead
//! server), and the response headers SDKs check.

use crate::auth::context_from_authorization;
use crate::listener::{AcceptBackoff, RateLimitedLog};
use crate::router::route;
use crate::wire::error_body;
use bytes::Bytes;
use cairn_engine::{Engine, RequestContext};
use cairn_model::{ApiError, ErrorKind};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Largest request body accepted, compressed or not: DynamoDB's 16 MB request limit.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
const CONTENT_TYPE_JSON: &str = "application/x-amz-json-1.0";

#[derive(Debug, Clone)]
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            engine_blocks: false,
            request_timeout: Duration::from_secs(30),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

struct Shared {
    engine: Arc<Engine>,
    config: ServerConfig,
    request_ids: RequestIds,
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
    let connections = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let grace = config.shutdown_grace;
    let shared = Arc::new(Shared {
        engine,
        config,
        request_ids: RequestIds::new(),
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
        let service_shared = shared.clone();
        let service = hyper::service::service_fn(move |req| {
            let shared = service_shared.clone();
            async move { Ok::<_, Infallible>(handle(req, &shared).await) }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(shared.config.request_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            grace_ms = grace.as_millis() as u64,
            "connections still open after the shutdown grace period are being closed"
        );
    }
    Ok(())
}

async fn handle(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let request_id = shared.request_ids.next();
    let result = process(req, shared).await;
    let (status, body) = match result {
        Ok(Reply::Json(body)) => (StatusCode::OK, body),
        Ok(Reply::Health) => {
            return plain_response(
                StatusCode::OK,
                "healthy: dynamodb.us-east-1.amazonaws.com ",
                &request_id,
            )
        }
        Err(error) => {
            let status = StatusCode::from_u16(error.kind.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = json_response(status, error_body(&error), &request_id);
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
    json_response(status, body, &request_id)
}

enum Reply {
    Json(Vec<u8>),
    Health,
}

async fn process(req: Request<Incoming>, shared: &Shared) -> Result<Reply, ApiError> {
    if req.method() == Method::GET {
        return Ok(Reply::Health);
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
    let gzip = req
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let declared_length = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let body = match tokio::time::timeout(
        shared.config.request_timeout,
        Limited::new(req.into_body(), MAX_BODY_BYTES).collect(),
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
    let body = if gzip { gunzip(&body)? } else { body };
    let context = context_from_authorization(authorization.as_deref())?;
    let engine = shared.engine.clone();
    let call = move || call_operation(&engine, &context, target.as_deref(), &body);
    let output = if shared.config.engine_blocks {
        tokio::task::spawn_blocking(call)
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
    let handler = route(target)?;
    std::panic::catch_unwind(AssertUnwindSafe(|| handler(engine, context, body)))
        .unwrap_or_else(|_| Err(ApiError::internal("Internal server error")))
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorKind::RequestEntityTooLarge,
        "Request body is larger than the 16 MB DynamoDB accepts",
    )
}

fn gunzip(body: &[u8]) -> Result<Bytes, ApiError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| ApiError::serialization("Request body could not be decompressed"))?;
    if out.len() > MAX_BODY_BYTES {
        return Err(ApiError::serialization("Request body is too large"));
    }
    Ok(Bytes::from(out))
}

fn json_response(status: StatusCode, body: Vec<u8>, request_id: &str) -> Response<Full<Bytes>> {
    let crc = crc32fast::hash(&body);
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_JSON));
    headers.insert("x-amz-crc32", HeaderValue::from(crc));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

fn plain_response(status: StatusCode, text: &'static str, request_id: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    response
}
