//! `expressway serve`: the Step Functions API over HTTP.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::error::CliError;
use super::flags::{RuntimeFlags, TelemetryFlags};
use super::{fail, setup};
use crate::api::{self, Config, Service};
use crate::engine::observe::Observer;
use crate::engine::shards::Shards;

/// The bundled example served when `serve` gets no `--definitions`.
pub const DEFAULT_DEFINITIONS: &str = "examples/payment";
/// The mock file served with the bundled example.
pub const BUNDLED_MOCK_FILE: &str = "MockConfigFile.json";

/// The flags of `expressway serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 8083)]
    pub port: u16,
    /// Folder whose `*.asl.json` files are created as EXPRESS state
    /// machines named after the file (default: `examples/payment` if it exists).
    #[arg(long)]
    pub definitions: Option<PathBuf>,
    /// Step Functions Local mock file (MockConfigFile.json; default:
    /// `examples/payment/MockConfigFile.json` with the bundled example).
    #[arg(long, env = "SFN_MOCK_CONFIG")]
    pub mock_config: Option<PathBuf>,
    /// Verify every request's AWS Signature Version 4 against the
    /// configured credentials (--sigv4-credentials, its environment
    /// variable, or the --config file's `sigv4.credentials`); off by default.
    #[arg(long)]
    pub verify_sigv4: bool,
    /// Credentials accepted with --verify-sigv4: ACCESS_KEY_ID:SECRET,
    /// repeatable or comma-separated.
    #[arg(long, env = "EXPRESSWAY_SIGV4_CREDENTIALS", value_delimiter = ',')]
    pub sigv4_credentials: Vec<String>,
    /// Join a cluster of instances sharing one registry and durable
    /// asynchronous starts in Redis: `redis://HOST:PORT[/DB]` (also the
    /// --config file's `cluster.url`; default: no cluster, everything in
    /// this process).
    #[arg(long, env = "EXPRESSWAY_CLUSTER_URL", value_name = "URL")]
    pub cluster: Option<String>,
    /// This instance's id in the cluster (default: host name and port,
    /// `host:8083`); two live instances must not share one.
    #[arg(long, value_name = "NAME")]
    pub node_id: Option<String>,
    /// How long (ms) past an execution's deadline another instance waits
    /// before it runs again an asynchronous start whose instance died
    /// (default 5000).
    #[arg(long, value_name = "MS")]
    pub cluster_reclaim_margin_ms: Option<u64>,
    /// Region, account, admission and shards.
    #[command(flatten)]
    pub runtime: RuntimeFlags,
    /// Per-state metrics and execution logs.
    #[command(flatten)]
    pub telemetry: TelemetryFlags,
    /// Connection limits and timeouts.
    #[command(flatten)]
    pub http: api::HttpFlags,
}

/// The bundled example's mock file, when `serve` serves the bundled example
/// (no `--definitions`) and no other mock file is configured.
fn bundled_mock(definitions: Option<&Path>) -> Option<PathBuf> {
    let file = Path::new(DEFAULT_DEFINITIONS).join(BUNDLED_MOCK_FILE);
    (definitions.is_none() && file.is_file()).then_some(file)
}

/// The SigV4 verifier of `serve --verify-sigv4`: the credentials of the
/// flag (or its environment variable) and of the configuration file; none
/// without the flag.
fn sigv4_verifier(
    on: bool,
    credentials: &[String],
    flags: &RuntimeFlags,
) -> Result<Option<api::auth::Verifier>, CliError> {
    use api::auth::{SigV4Keys, Verifier};
    if !on {
        return Ok(None);
    }
    let mut keys = SigV4Keys::default();
    for entry in credentials {
        keys.add_list(entry)?;
    }
    if let Some(file) = &flags.config {
        keys.add_file(file)?;
    }
    if keys.is_empty() {
        return Err(CliError::NoSigv4Credentials);
    }
    Ok(Some(Verifier::new(keys)))
}

/// The connection limits of `serve` (defaults, the `--config` file's `http`
/// section, the `--http-*` flags), with the file-descriptor soft limit
/// raised to the hard limit and the connection limit kept under it.
fn http_gate(
    file: Option<&Path>,
    flags: &api::HttpFlags,
) -> Result<Arc<api::conn::Gate>, CliError> {
    let limits = api::HttpLimits::load(file, flags)?;
    let fds = api::limits::raise_fd_limit().map_err(CliError::FdLimit)?;
    Ok(api::conn::Gate::new(limits.effective(fds)))
}

/// The starter of `serve`: on the in-memory store, or with `--cluster` on
/// the cluster's Redis store, its listener and reclaimer started.
fn cluster_starter(
    args: &ServeArgs,
    setup: &setup::Setup,
) -> Result<(crate::start::Starter, Option<crate::cluster::Cluster>), CliError> {
    let file = match &args.runtime.config {
        Some(path) => crate::cluster::FileSettings::load(path)?,
        None => crate::cluster::FileSettings::default(),
    };
    let Some(url) = args.cluster.as_ref().or(file.url.as_ref()) else {
        return Ok((setup.starter()?, None));
    };
    let node_id = args
        .node_id
        .clone()
        .or(file.node_id)
        .unwrap_or_else(|| crate::cluster::default_node_id(args.port));
    let mut config = crate::cluster::ClusterConfig::new(url, &node_id);
    config.reclaim_margin = std::time::Duration::from_millis(
        args.cluster_reclaim_margin_ms
            .or(file.reclaim_margin_ms)
            .unwrap_or(5_000),
    );
    config.execution_retention = setup.start.execution_retention;
    let cluster = crate::cluster::Cluster::connect(config)?;
    let starter =
        crate::start::Starter::with_store(setup.engine()?, setup.start.clone(), cluster.store())
            .with_versions(cluster.versions());
    cluster.run(&starter);
    eprintln!("expressway: cluster node {node_id} on {url}");
    Ok((starter, Some(cluster)))
}

/// Runs `serve` until Ctrl-C: 0 after a clean stop, 1 when serving failed,
/// 2 when it cannot start.
pub(super) async fn serve(args: ServeArgs) -> ExitCode {
    let gate = match http_gate(args.runtime.config.as_deref(), &args.http) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    let telemetry = match args.telemetry.telemetry() {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let sigv4 = match sigv4_verifier(args.verify_sigv4, &args.sigv4_credentials, &args.runtime) {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    let mock = args
        .mock_config
        .clone()
        .or_else(|| bundled_mock(args.definitions.as_deref()));
    let observer = telemetry.clone().map(|t| t as Arc<dyn Observer>);
    let (starter, cluster) = match args
        .runtime
        .setup(mock, observer)
        .and_then(|s| cluster_starter(&args, &s))
    {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let shards = starter.engine().shards().cloned();
    let config = Config {
        region: args.runtime.region.clone(),
        account: args.runtime.account.clone(),
        admission: starter.admission().config().clone(),
        sigv4,
        ..Config::default()
    };
    let service = Service::with_starter(starter, config);
    if let Some(cluster) = &cluster {
        cluster.share_activities(service.activities());
    }
    let definitions = args.definitions.clone().or_else(|| {
        let bundled = PathBuf::from(DEFAULT_DEFINITIONS);
        bundled.is_dir().then_some(bundled)
    });
    if let Some(dir) = definitions {
        match crate::start::preload(service.starter(), &dir) {
            Ok(loaded) => {
                for machine in loaded {
                    eprintln!("expressway: loaded {}", machine.arn);
                }
            }
            Err(e) => return fail(e),
        }
    }
    setup::log_resolutions(service.starter());
    let (host, port) = (args.host.as_str(), args.port);
    let listener = match tokio::net::TcpListener::bind((host, port)).await {
        Ok(l) => l,
        Err(source) => {
            return fail(CliError::Listen {
                addr: format!("{host}:{port}"),
                source,
            })
        }
    };
    let limits = gate.limits();
    eprintln!(
        "expressway: up to {} connections, request heads within {} ms, idle keep-alive {} ms",
        limits.max_connections,
        limits.header_read_timeout.as_millis(),
        limits.idle_timeout.as_millis()
    );
    match listener.local_addr() {
        Ok(addr) => eprintln!("expressway: listening on http://{addr} (metrics at /metrics)"),
        Err(_) => eprintln!("expressway: listening on http://{host}:{port}"),
    }
    let edge = api::edge(service);
    let served = match shards {
        Some(shards) => serve_on_shards(listener, edge, &shards, gate).await,
        None => {
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            api::conn::serve(listener, edge, gate, shutdown)
                .await
                .map_err(CliError::Serve)
        }
    };
    if let Some(t) = &telemetry {
        t.flush(std::time::Duration::from_secs(5));
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("expressway: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves `edge` from every shard: each accepts connections on the same
/// listening socket and serves them on its own thread, so a
/// StartSyncExecution runs inline on the shard that read the request (no
/// handoff between threads). Stops on Ctrl-C once every shard has finished
/// its open requests.
async fn serve_on_shards(
    listener: tokio::net::TcpListener,
    edge: api::Edge,
    shards: &Shards,
    gate: Arc<api::conn::Gate>,
) -> Result<(), CliError> {
    let listener = listener.into_std().map_err(CliError::Serve)?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut done = Vec::with_capacity(shards.len());
    for index in 0..shards.len() {
        let socket = listener.try_clone().map_err(CliError::Serve)?;
        let edge = edge.clone();
        let gate = Arc::clone(&gate);
        let mut stopped = stopped.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<(), CliError>>();
        shards.spawn_on(index, async move {
            let served = async {
                // Registered with this shard's own reactor.
                let l = tokio::net::TcpListener::from_std(socket).map_err(CliError::Serve)?;
                let shutdown = async move {
                    let _ = stopped.wait_for(|s| *s).await;
                };
                api::conn::serve(l, edge, gate, shutdown)
                    .await
                    .map_err(CliError::Serve)
            };
            let _ = tx.send(served.await);
        });
        done.push(rx);
    }
    let _ = tokio::signal::ctrl_c().await;
    let _ = stop.send(true);
    for rx in done {
        rx.await.map_err(|_| CliError::ShardStopped)??;
    }
    Ok(())
}
