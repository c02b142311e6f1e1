//! The `cairn` binary: command line, configuration, and the choice of storage backend.

mod allocator;
mod cache_size;
mod commands;
mod data_dir;
mod dynamodb_local;
mod seed;
mod tail;
mod triggers;

/// Item decoding and JSON building allocate many small objects per request; measured
/// with `../shared/bench`, mimalloc serves them markedly faster than the system
/// allocator (see the commit that introduced it).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use cairn_engine::{Engine, EngineConfig};
use cairn_server::ServerConfig;
use cairn_storage::{Durability, EmbeddedStorage, MemoryStorage, Storage};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `0.1.0 (commit 1a2b3c4)`: the build's git commit, from build.rs.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("CAIRN_GIT_COMMIT"), ")");

#[derive(Parser)]
#[command(
    name = "cairn",
    version = VERSION,
    propagate_version = true,
    about = "A DynamoDB-compatible database server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the DynamoDB API over HTTP.
    Serve(ServeArgs),
    /// Print a table's stream records as JSON lines, following new ones.
    Tail(tail::TailArgs),
    /// Verify a data directory offline (items, index entries, counters, stream
    /// records); `--repair` mends what it safely can.
    Check(commands::check::CheckArgs),
    /// Manage the principals, keys and policies `--auth sigv4` verifies against.
    Credentials(commands::credentials::CredentialsArgs),
    /// Write a development CA and a server certificate for `--tls-cert`/`--tls-key`.
    Cert(commands::cert::CertArgs),
    /// Load items into a table from files (DynamoDB JSON, Ion, CSV) or a PostgreSQL
    /// query, with progress, resumable.
    Import(commands::import::ImportArgs),
    /// Write a table to a directory in the layout of a DynamoDB export, with
    /// progress, resumable.
    Export(commands::export::ExportArgs),
    /// Create, list and restore on-demand backups.
    Backup(commands::backup::BackupArgs),
    /// Print a running server's cost ledger: capacity and price per table and
    /// operation, on demand and provisioned, and scan amplification.
    Cost(commands::cost::CostArgs),
    /// Explain a read request: the partitions it reads, items read against items
    /// returned, capacity units and price, without charging or recording anything.
    Explain(commands::explain::ExplainArgs),
    /// Show or move the virtual clock of a server started with --virtual-clock.
    Clock(commands::clock::ClockArgs),
    /// Add, list or clear fault injection rules of a running server.
    Fault(commands::fault::FaultArgs),
    /// Re-deliver a table's stream records of a time window, the same every time.
    Replay(commands::replay::ReplayArgs),
    /// Save, restore or reset the whole state of a running test server.
    Snapshot(commands::snapshot::SnapshotArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AuthMode {
    /// Trust every caller (local development).
    None,
    /// Verify AWS Signature Version 4 and evaluate each principal's policies.
    Sigv4,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CAIRN_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "CAIRN_PORT", default_value_t = 8000)]
    port: u16,
    /// Directory of the embedded durable store (created if missing).
    #[arg(long, env = "CAIRN_DATA_DIR", default_value = "./cairn-data")]
    data_dir: PathBuf,
    /// Keep everything in memory; nothing survives the process.
    #[arg(long, env = "CAIRN_IN_MEMORY")]
    in_memory: bool,
    /// fsync every commit (grouped) so acknowledged writes survive power loss, not
    /// only a killed process.
    #[arg(long, env = "CAIRN_SYNC")]
    sync: bool,
    /// The embedded store's block cache (e.g. 256MB, 2GB, 10%): what it keeps of
    /// its files in memory, and so what bounds its memory use. Default: an eighth
    /// of the machine's memory, between 64 MB and 1 GB.
    #[arg(long, env = "CAIRN_CACHE_SIZE", value_parser = cache_size::parse)]
    cache_size: Option<u64>,
    /// Milliseconds a new table reports CREATING before ACTIVE.
    #[arg(long, env = "CAIRN_TABLE_CREATION_DELAY_MS", default_value_t = 0)]
    table_creation_delay_ms: u64,
    /// How often the TTL sweeper deletes expired items, in milliseconds.
    #[arg(long, env = "CAIRN_TTL_SWEEP_INTERVAL_MS", default_value_t = 5_000)]
    ttl_sweep_interval_ms: u64,
    /// With --metrics-addr: how often each table's ItemCount and TableSizeBytes are
    /// recounted, in milliseconds (each recount reads the whole table).
    #[arg(long, env = "CAIRN_TABLE_METRICS_INTERVAL_MS", default_value_t = 60_000)]
    table_metrics_interval_ms: u64,
    /// How long stream records are kept, in hours (DynamoDB: 24).
    #[arg(long, env = "CAIRN_STREAM_RETENTION_HOURS", default_value_t = 24)]
    stream_retention_hours: u64,
    /// How often stream shards roll over, in seconds (DynamoDB: about 4 hours).
    #[arg(long, env = "CAIRN_STREAM_SHARD_INTERVAL_SECS", default_value_t = 4 * 3600)]
    stream_shard_interval_secs: u64,
    /// Tables allowed in one region (DynamoDB's default quota: 2,500).
    #[arg(long, env = "CAIRN_MAX_TABLES", default_value_t = 2500)]
    max_tables: usize,
    /// Seconds a client may take to send a request's headers, and then its body.
    #[arg(long, env = "CAIRN_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    request_timeout_secs: u64,
    /// Connections served at once; further ones wait until one closes.
    #[arg(long, env = "CAIRN_MAX_CONNECTIONS", default_value_t = 4096)]
    max_connections: usize,
    /// Threads that serve connections, each connection on one of them for its whole
    /// life (default: one per CPU). 0 serves them on the work-stealing async runtime.
    #[arg(long, env = "CAIRN_CONNECTION_THREADS")]
    connection_threads: Option<usize>,
    /// On SIGTERM or SIGINT, seconds in-flight requests may take to finish before the
    /// remaining connections are closed.
    #[arg(long, env = "CAIRN_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    shutdown_grace_secs: u64,
    /// How callers are authenticated.
    #[arg(long, env = "CAIRN_AUTH", value_enum, default_value = "none")]
    auth: AuthMode,
    /// The credentials file for `--auth sigv4` (JSON, or TOML by extension);
    /// default DATA_DIR/credentials.json. Re-read on SIGHUP.
    #[arg(long, env = "CAIRN_CREDENTIALS")]
    credentials: Option<PathBuf>,
    /// Allow `--auth none` on an address other machines can reach.
    #[arg(long, env = "CAIRN_ALLOW_ANONYMOUS")]
    allow_anonymous: bool,
    /// PEM certificate chain: serve HTTPS.
    #[arg(long, env = "CAIRN_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "CAIRN_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// With TLS: serve HTTPS on this port and plain HTTP on --port. Without it, --port
    /// serves HTTPS only.
    #[arg(long, env = "CAIRN_HTTPS_PORT", requires = "tls_cert")]
    https_port: Option<u16>,
    /// Store everything in PostgreSQL (postgres://user:password@host:port/database)
    /// instead of the embedded store; several servers may share one database.
    #[arg(
        long,
        env = "CAIRN_POSTGRES_URL",
        conflicts_with = "in_memory",
        hide_env_values = true
    )]
    postgres: Option<String>,
    /// The PostgreSQL schema Cairn's tables live in (created if missing).
    #[arg(long, env = "CAIRN_POSTGRES_SCHEMA", default_value = "cairn")]
    postgres_schema: String,
    /// PostgreSQL connections kept open at most.
    #[arg(long, env = "CAIRN_POSTGRES_POOL_SIZE", default_value_t = 16)]
    postgres_pool_size: u32,
    /// Milliseconds after which the database cancels a statement.
    #[arg(long, env = "CAIRN_POSTGRES_STATEMENT_TIMEOUT_MS", default_value_t = 30_000)]
    postgres_statement_timeout_ms: u64,
    /// Connect to PostgreSQL over TLS, trusting the certificates in this PEM file
    /// (besides the system's roots). `sslmode=require` in the URL asks for TLS
    /// with the system's roots only. The server's certificate is always verified.
    #[arg(long, env = "CAIRN_POSTGRES_CA_CERT", requires = "postgres")]
    postgres_ca_cert: Option<PathBuf>,
    /// With several servers on one database: how often each checks for table
    /// changes made through the others, in milliseconds (writes always check).
    #[arg(long, env = "CAIRN_CATALOG_POLL_INTERVAL_MS", default_value_t = 50)]
    catalog_poll_interval_ms: u64,
    /// The S3 stand-in exports write to and imports and bulk operations read from:
    /// one sub-directory per bucket. Default: `s3` in the data directory
    /// (`./cairn-s3` with --in-memory or --postgres).
    #[arg(long, env = "CAIRN_S3_ROOT", conflicts_with = "s3_endpoint")]
    s3_root: Option<PathBuf>,
    /// Use a real S3-compatible endpoint (AWS S3, MinIO, ...) instead of a
    /// directory; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    #[arg(long, env = "CAIRN_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// Throttle requests beyond their tables' provisioned capacity (with burst) or
    /// on-demand maximums, as DynamoDB does. Off by default.
    #[arg(long, env = "CAIRN_ENFORCE_CAPACITY")]
    enforce_capacity: bool,
    /// Run the engine on a clock `cairn clock advance|set` moves forward (TTL,
    /// streams, tokens, backups and PITR follow it). Off: real time.
    #[arg(long, env = "CAIRN_VIRTUAL_CLOCK")]
    virtual_clock: bool,
    /// Deliver a table's stream records, Lambda-style, to a command or URL:
    /// `table=orders,exec=./notify.sh` or `table=orders,url=http://127.0.0.1:3000/hook`
    /// (plus batch=, window_ms=, retries=, bisect=, checkpoint=, dlq=). Repeatable.
    #[arg(long = "trigger")]
    triggers: Vec<String>,
    /// Before the port opens, create the tables (`*.table.json`: CreateTable
    /// requests) and load the items (`TABLE.jsonl`, `TABLE.json`) of this directory.
    #[arg(long, env = "CAIRN_SEED")]
    seed: Option<PathBuf>,
    /// The region the seeded tables are created in (regions are separate namespaces:
    /// use your clients' region).
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    seed_region: String,
    /// Fault injection rules to start with (a JSON array; see docs/testing-with-cairn.md).
    #[arg(long, env = "CAIRN_FAULTS")]
    faults: Option<PathBuf>,
    /// Serve Prometheus metrics (DynamoDB's CloudWatch names per table, index and
    /// operation) at http://ADDR/metrics, e.g. 127.0.0.1:9464.
    #[arg(long, env = "CAIRN_METRICS_ADDR")]
    metrics_addr: Option<std::net::SocketAddr>,
    /// Log one line per request (request id, operation, table, latency, capacity,
    /// outcome) at this level: error, warn, info, debug or trace. Off by default.
    #[arg(long, env = "CAIRN_REQUEST_LOG", value_parser = ["error", "warn", "info", "debug", "trace"])]
    request_log: Option<String>,
    /// DynamoDB Local's behaviour (also from `cairn dynamodb-local` or any of its
    /// flags, e.g. `-sharedDb`): each access key and region has its own tables
    /// unless --shared-db, and ARNs name the region `ddblocal`.
    #[arg(long, env = "CAIRN_DYNAMODB_LOCAL")]
    dynamodb_local: bool,
    /// With --dynamodb-local: every client shares one set of tables (DynamoDB
    /// Local's -sharedDb).
    #[arg(long, env = "CAIRN_SHARED_DB", requires = "dynamodb_local")]
    shared_db: bool,
    /// DynamoDB Local's -delayTransientStatuses: new tables report CREATING for a
    /// second (sets --table-creation-delay-ms 1000 unless given).
    #[arg(long)]
    delay_transient_statuses: bool,
    /// Origins browsers may call from, comma-separated (DynamoDB Local's -cors);
    /// default: any (`*`).
    #[arg(long, env = "CAIRN_CORS")]
    cors: Option<String>,
    /// A vector-index partition with at least this many vectors is searched from
    /// memory (built in the background); smaller ones exactly from storage.
    #[arg(long, env = "CAIRN_VECTOR_GRAPH_THRESHOLD", default_value_t = 10_000)]
    vector_graph_threshold: usize,
    /// Up to this many vectors a partition is searched by scanning its quantized
    /// vectors (exact top K in practice); past it, through an HNSW graph.
    #[arg(long, env = "CAIRN_VECTOR_FLAT_MAX", default_value_t = 2_000_000)]
    vector_flat_max: usize,
    /// Memory for those in-memory copies of large vector partitions (e.g. 512MB,
    /// 4GB, 25%): a copy that does not fit drops the least recently searched ones,
    /// and a partition too large for all of it is searched exactly from storage.
    /// Default: a quarter of the machine's memory.
    #[arg(long, env = "CAIRN_VECTOR_MEMORY", value_parser = cache_size::parse)]
    vector_memory: Option<u64>,
    /// Prices for the cost ledger (JSON: region, readRequestUnitsPerMillion,
    /// writeRequestUnitsPerMillion, readCapacityUnitHour, writeCapacityUnitHour,
    /// storageGbMonth); default: us-east-1 list prices.
    #[arg(long, env = "CAIRN_PRICE_SHEET")]
    price_sheet: Option<PathBuf>,
    /// Also serve the web console (and the API it calls) on this address, e.g.
    /// 127.0.0.1:8001; it is always at /console/ on the main port too.
    #[arg(long, env = "CAIRN_CONSOLE_ADDR", conflicts_with = "no_console")]
    console_addr: Option<std::net::SocketAddr>,
    /// Do not serve the web console.
    #[arg(long, env = "CAIRN_NO_CONSOLE")]
    no_console: bool,
    /// Serve the console's files from this directory instead of the ones built in
    /// (for working on the console without rebuilding).
    #[arg(long, env = "CAIRN_CONSOLE_DIR", hide = true)]
    console_dir: Option<PathBuf>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse_from(dynamodb_local::translate(std::env::args_os().collect()));
    // The server logs what it does; the other commands only what goes wrong.
    let default_level = if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("CAIRN_LOG").unwrap_or_else(|_| default_level.into());
    // Request lines are let through at the level asked for, whatever the rest logs.
    if let Command::Serve(ServeArgs {
        request_log: Some(level),
        ..
    }) = &cli.command
    {
        cairn_server::metrics::log_requests_at(level);
        if let Ok(directive) = format!("cairn::requests={level}").parse() {
            filter = filter.add_directive(directive);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: piped logs stay greppable.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result: Result<(), Failure> = match cli.command {
        Command::Serve(args) => serve(args),
        other => run_command(other).map_err(Failure::from),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("cairn: {}", failure.message);
            std::process::ExitCode::from(failure.code)
        }
    }
}

/// Every command but `serve`.
fn run_command(command: Command) -> Result<(), String> {
    match command {
        Command::Serve(_) => Err("serve is run by main".to_string()),
        Command::Tail(args) => tail::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Credentials(args) => commands::credentials::run(args),
        Command::Cert(args) => commands::cert::run(args),
        Command::Import(args) => commands::import::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Backup(args) => commands::backup::run(args),
        Command::Cost(args) => commands::cost::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Clock(args) => commands::clock::run(args),
        Command::Fault(args) => commands::fault::run(args),
        Command::Replay(args) => commands::replay::run(args),
        Command::Snapshot(args) => commands::snapshot::run(args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "cairn", &mut std::io::stdout());
            Ok(())
        }
    }
}

/// Why the command failed, and its exit status: 1 in general, 2 for a bad command
/// line (clap's), [`PORT_IN_USE`] and [`DATA_DIR_LOCKED`] for the two a script may
/// want to tell apart.
struct Failure {
    code: u8,
    message: String,
}

/// Exit status when the port is taken.
const PORT_IN_USE: u8 = 3;
/// Exit status when another process holds the data directory.
const DATA_DIR_LOCKED: u8 = 4;

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure { code: 1, message }
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Failure {
        Failure::from(message.to_string())
    }
}

fn s3_root(args: &ServeArgs) -> PathBuf {
    match &args.s3_root {
        Some(root) => root.clone(),
        None if args.in_memory || args.postgres.is_some() => PathBuf::from("cairn-s3"),
        None => args.data_dir.join("s3"),
    }
}

fn serve(args: ServeArgs) -> Result<(), Failure> {
    let started = Instant::now();
    // Held until the process ends: a second server on this directory is refused.
    let _data_dir_lock = match (&args.postgres, args.in_memory) {
        (None, false) => Some(lock_data_dir(&args.data_dir)?),
        _ => None,
    };
    let mut health: Option<cairn_server::HealthCheck> = None;
    let storage: Arc<dyn Storage> = if let Some(url) = &args.postgres {
        let mut config = cairn_storage_postgres::PostgresConfig::new(url);
        config.schema = args.postgres_schema.clone();
        config.pool_size = args.postgres_pool_size.max(1);
        config.statement_timeout = Duration::from_millis(args.postgres_statement_timeout_ms.max(1));
        config.ca_file = args.postgres_ca_cert.clone();
        let store = Arc::new(cairn_storage_postgres::PostgresStorage::open(&config)?);
        let probe = store.clone();
        health = Some(Arc::new(move || probe.reachable()));
        store
    } else if args.in_memory {
        allocator::return_freed_memory_at_once();
        Arc::new(MemoryStorage::new())
    } else {
        let durability = if args.sync {
            Durability::Sync
        } else {
            Durability::Journal
        };
        let options = cairn_storage::EmbeddedOptions {
            cache_bytes: args.cache_size.unwrap_or_else(cache_size::default),
        };
        tracing::debug!(cache_bytes = options.cache_bytes, "block cache");
        let store = EmbeddedStorage::open_with(&args.data_dir, durability, options)
            .map_err(|e| format!("cannot open data directory {}: {e}", args.data_dir.display()))?;
        Arc::new(store)
    };
    let config = EngineConfig {
        table_creation_delay: Duration::from_millis(
            match (args.delay_transient_statuses, args.table_creation_delay_ms) {
                (true, 0) => 1000,
                (_, ms) => ms,
            },
        ),
        stream_retention: Duration::from_secs(args.stream_retention_hours * 3600),
        stream_shard_interval: Duration::from_secs(args.stream_shard_interval_secs.max(1)),
        max_tables: args.max_tables,
        catalog_poll_interval: Duration::from_millis(args.catalog_poll_interval_ms.max(1)),
        enforce_capacity: args.enforce_capacity,
        vector_graph_threshold: args.vector_graph_threshold.max(1),
        vector_flat_max: args.vector_flat_max,
        vector_memory_bytes: args.vector_memory.unwrap_or_else(cache_size::quarter_of_memory),
        price_sheet: match &args.price_sheet {
            Some(path) => serde_json::from_slice(
                &std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            )
            .map_err(|e| format!("{}: not a price sheet: {e}", path.display()))?,
            None => Default::default(),
        },
        objects: match &args.s3_endpoint {
            Some(endpoint) => Arc::new(cairn_engine::transfer::objects::S3Endpoint::new(endpoint)?),
            None => Arc::new(cairn_engine::transfer::objects::LocalDirectory::new(s3_root(&args))),
        },
        ..EngineConfig::default()
    };
    // The clock's offset lives in this process: on a durable or shared store a
    // restart would take time back under what was already written.
    if args.virtual_clock && !args.in_memory {
        return Err(
            "--virtual-clock needs --in-memory (a restart would move a stored table's time back)"
                .to_string()
                .into(),
        );
    }
    if args.virtual_clock && matches!(args.auth, AuthMode::Sigv4) {
        return Err(
            "--virtual-clock is a test tool: not with --auth sigv4 (its clock could not be moved)"
                .to_string()
                .into(),
        );
    }
    let virtual_clock = args.virtual_clock.then(|| Arc::new(cairn_engine::VirtualClock::new()));
    let faults = Arc::new(match &args.faults {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            cairn_server::admin::faults::Faults::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Default::default(),
    });
    let sweep_interval = Duration::from_millis(args.ttl_sweep_interval_ms.max(10));
    let engine_clock = virtual_clock.clone();
    let start_engine = move |storage: Arc<dyn Storage>| -> Result<Arc<Engine>, String> {
        let engine = Arc::new(match &engine_clock {
            Some(clock) => Engine::with_clock(storage, config.clone(), clock.clone()).map_err(|e| e.to_string())?,
            None => Engine::new(storage, config.clone()).map_err(|e| e.to_string())?,
        });
        // The sweeper first: it sets the length of the background lease the resumes take.
        engine.start_ttl_sweeper(sweep_interval);
        engine.resume_purges();
        engine.resume_backfills();
        Ok(engine)
    };
    let engine = start_engine(storage)?;
    // DynamoDB Local keeps its tables in region `ddblocal`: seeds go there.
    let seed_region = if args.dynamodb_local {
        cairn_server::local_mode::LOCAL_REGION.to_string()
    } else {
        args.seed_region.clone()
    };
    let local_mode = args.dynamodb_local.then(|| {
        let (in_memory, sync, data_dir, seed) = (args.in_memory, args.sync, args.data_dir.clone(), args.seed.clone());
        let seed_region = seed_region.clone();
        let open: cairn_server::local_mode::OpenEngine = Arc::new(move |name: &str| {
            let storage: Arc<dyn Storage> = if in_memory {
                Arc::new(MemoryStorage::new())
            } else {
                let dir = data_dir.join("namespaces").join(name);
                let durability = if sync { Durability::Sync } else { Durability::Journal };
                Arc::new(EmbeddedStorage::open(&dir, durability).map_err(|e| format!("{}: {e}", dir.display()))?)
            };
            let engine = start_engine(storage)?;
            // Every access key and region starts from the same fixtures.
            if let Some(dir) = &seed {
                seed::load(&engine, dir, &seed_region)?;
            }
            Ok(engine)
        });
        Arc::new(cairn_server::local_mode::LocalMode::new(args.shared_db, open))
    });
    // Engine calls run on the async workers; parsers and evaluators bound their
    // recursion (expression nesting, 300 operators, item depth 32), and the larger
    // stack keeps a margin over those bounds in every build profile.
    const WORKER_STACK: usize = 8 * 1024 * 1024;
    let connection_threads = match args
        .connection_threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    {
        0 => None,
        n => Some(
            cairn_server::ConnectionThreads::start(n, WORKER_STACK)
                .map_err(|e| format!("cannot start the connection threads: {e}"))?,
        ),
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if connection_threads.is_some() {
        // Left to it: accepting connections, signals, the metrics listener.
        runtime.worker_threads(1);
    }
    let runtime = runtime
        .thread_stack_size(WORKER_STACK)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let authenticator = match args.auth {
        AuthMode::None => None,
        AuthMode::Sigv4 => {
            let path = match (&args.credentials, args.in_memory) {
                (Some(path), _) => path.clone(),
                (None, false) => args.data_dir.join("credentials.json"),
                (None, true) => {
                    return Err("--auth sigv4 with --in-memory needs --credentials FILE"
                        .to_string()
                        .into())
                }
            };
            let authenticator = cairn_server::Authenticator::from_file(&path, &EngineConfig::default().account_id)?;
            tracing::info!(file = %path.display(), principals = authenticator.principal_count(), "verifying SigV4 signatures");
            Some(Arc::new(authenticator))
        }
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(cairn_server::tls_config(cert, key)?),
        _ => None,
    };
    if let Some(addr) = args.metrics_addr {
        // The exporter's listener runs on this runtime.
        let _entered = runtime.enter();
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(addr)
            .install()
            .map_err(|e| format!("cannot serve metrics on {addr}: {e}"))?;
        cairn_server::metrics::enable();
        engine.start_table_metrics(Duration::from_millis(args.table_metrics_interval_ms.max(10)));
        tracing::info!(%addr, "Prometheus metrics at /metrics");
    }
    if let Some(dir) = &args.seed {
        let seeded = seed::load(&engine, dir, &seed_region)?;
        tracing::info!(dir = %dir.display(), tables = seeded.tables, items = seeded.items, "seeded");
    }
    // `cairn snapshot reset` empties the server, then loads the fixtures again.
    let after_reset: Option<cairn_server::admin::snapshots::AfterReset> = args.seed.clone().map(|dir| {
        let region = seed_region.clone();
        let reload: cairn_server::admin::snapshots::AfterReset =
            Arc::new(move |engine: &cairn_engine::Engine| seed::load(engine, &dir, &region).map(|_| ()));
        reload
    });
    let mut trigger_specs = args
        .triggers
        .iter()
        .map(|t| triggers::Spec::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    if args.dynamodb_local && !trigger_specs.is_empty() {
        // Triggers watch the server's own tables: in DynamoDB Local's behaviour those
        // are the shared ones, all in region ddblocal.
        if !args.shared_db {
            return Err("--trigger with DynamoDB Local's behaviour needs -sharedDb (without it each access key and region has tables of its own)".into());
        }
        for spec in &mut trigger_specs {
            spec.region = cairn_server::local_mode::LOCAL_REGION.to_string();
        }
    }
    if !trigger_specs.is_empty() {
        let dir = (!args.in_memory && args.postgres.is_none()).then(|| args.data_dir.clone());
        triggers::start(&engine, trigger_specs, dir);
    }
    runtime.block_on(async move {
        let listener: tokio::net::TcpListener = bind(&args.host, args.port).await?;
        let https_listener = match args.https_port {
            Some(port) => Some(bind(&args.host, port).await?),
            None => None,
        };
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let console_listener = match args.console_addr {
            Some(addr) => Some(bind(&addr.ip().to_string(), addr.port()).await?),
            None => None,
        };
        if let Some(console) = &console_listener {
            let console_address = console.local_addr().map_err(|e| e.to_string())?;
            if authenticator.is_none() && !console_address.ip().is_loopback() && !args.allow_anonymous {
                return Err(Failure::from(format!(
                    "refusing to serve the console without authentication on {console_address}, which other machines can reach: use --auth sigv4, a loopback address, or --allow-anonymous"
                )));
            }
        }
        let console = match (&args.console_dir, args.no_console) {
            (_, true) => cairn_server::console::Console::Off,
            (Some(dir), false) => cairn_server::console::Console::Directory(dir.clone()),
            (None, false) => cairn_server::console::Console::Embedded,
        };
        if !matches!(console, cairn_server::console::Console::Off) {
            cairn_server::console::record_requests();
        }
        if authenticator.is_none() && !address.ip().is_loopback() && !args.allow_anonymous {
            return Err(Failure::from(format!(
                "refusing to serve without authentication on {address}, which other machines can reach: use --auth sigv4 (see docs/security.md), listen on 127.0.0.1, or pass --allow-anonymous"
            )));
        }
        let server_config = ServerConfig {
            // Database calls block their thread: keep them off the async workers.
            engine_blocks: args.sync || args.postgres.is_some(),
            request_timeout: Duration::from_secs(args.request_timeout_secs.max(1)),
            max_connections: args.max_connections.max(1),
            connection_threads: connection_threads.clone(),
            shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
            authenticator: authenticator.clone(),
            tls: None,
            health,
            virtual_clock: virtual_clock.clone(),
            faults: faults.clone(),
            after_reset,
            local_mode,
            cors_origins: args
                .cors
                .as_ref()
                .map(|list| Arc::new(list.split(',').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect())),
            console,
        };
        let (main_config, https) = match (tls, https_listener) {
            (Some(tls), Some(https)) => (
                server_config.clone(),
                Some((https, ServerConfig { tls: Some(tls), ..server_config })),
            ),
            (tls, _) => (ServerConfig { tls, ..server_config }, None),
        };
        tracing::info!(
            %address,
            scheme = if main_config.tls.is_some() { "https" } else { "http" },
            https = ?https.as_ref().and_then(|(l, _)| l.local_addr().ok()),
            backend = if args.postgres.is_some() { "postgres" } else if args.in_memory { "memory" } else { "embedded" },
            auth = if authenticator.is_some() { "sigv4" } else { "none" },
            console = ?console_listener.as_ref().and_then(|l| l.local_addr().ok()),
            startup_ms = started.elapsed().as_secs_f64() * 1000.0,
            "cairn is listening"
        );
        if let Some(authenticator) = authenticator {
            tokio::spawn(reload_on_hangup(authenticator));
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let wait = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        let main_config_for_console = main_config.clone();
        let main = cairn_server::serve(listener, engine.clone(), main_config, wait(stopped.clone()));
        let second = async {
            match https {
                Some((listener, config)) => cairn_server::serve(listener, engine.clone(), config, wait(stopped.clone())).await,
                None => Ok(()),
            }
        };
        let signal = async {
            shutdown_signal().await;
            let _ = stop.send(true);
        };
        let console_config = main_config_for_console;
        let third = async {
            match console_listener {
                Some(listener) => cairn_server::serve(listener, engine.clone(), console_config, wait(stopped.clone())).await,
                None => Ok(()),
            }
        };
        let (main, second, third, ()) = tokio::join!(main, second, third, signal);
        main.and(second).and(third).map_err(|e| e.to_string())?;
        // Another server sharing the store takes the background work over at once.
        let releasing = engine.clone();
        let _ = tokio::task::spawn_blocking(move || releasing.release_leases()).await;
        if let Some(threads) = &connection_threads {
            threads.stop();
        }
        tracing::info!("cairn stopped");
        Ok(())
    })
}

async fn bind(host: &str, port: u16) -> Result<tokio::net::TcpListener, Failure> {
    tokio::net::TcpListener::bind((host, port)).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => Failure {
            code: PORT_IN_USE,
            message: format!(
                "port {port} on {host} is already in use (another Cairn or DynamoDB Local?): stop it, or choose another port with --port"
            ),
        },
        _ => Failure::from(format!("cannot listen on {host}:{port}: {e}")),
    })
}

/// Locks the data directory for this process (see `data_dir`).
fn lock_data_dir(dir: &std::path::Path) -> Result<std::fs::File, Failure> {
    data_dir::lock(dir).map_err(|e| match e {
        data_dir::LockError::InUse(message) => Failure {
            code: DATA_DIR_LOCKED,
            message,
        },
        data_dir::LockError::Other(message) => Failure::from(message),
    })
}

/// Re-reads the credentials file on each SIGHUP; a broken file leaves the old
/// credentials in force.
async fn reload_on_hangup(authenticator: Arc<cairn_server::Authenticator>) {
    #[cfg(unix)]
    {
        let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            return;
        };
        while hangups.recv().await.is_some() {
            match authenticator.reload() {
                Ok(principals) => tracing::info!(principals, "credentials reloaded"),
                Err(e) => tracing::warn!(error = %e, "credentials not reloaded; the previous ones stay in force"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = authenticator;
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return interrupt.await.unwrap_or(()),
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await.unwrap_or(());
}
