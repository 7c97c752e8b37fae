//! `hotline`: the server and its command line.

mod backup;
mod commands;
mod config;
mod runtime;

use clap::{Parser, Subcommand};
use config::{Config, Overrides};
use std::net::SocketAddr;
use std::path::PathBuf;

/// glibc's allocator fragments under a long load (many threads, many short
/// allocations) and the server's resident memory crept up with it. With
/// mimalloc's `override` (the workspace's `Cargo.toml`) SQLite's `malloc`
/// and `free` come here too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "hotline", version, about = "12345 government service hotline platform (政务服务便民热线)")]
struct Cli {
    /// TOML configuration file (default: ./hotline.toml when present).
    #[arg(long, global = true, env = "HOTLINE_CONFIG")]
    config: Option<PathBuf>,
    /// Directory for the embedded database and attachments.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST:PORT/DB (default: SQLite in the data directory).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server (applies pending migrations and seeds a fresh database first).
    Serve {
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Runs the server with demo data: a fresh data directory is seeded with
    /// reference data, one user per role and about 10,000 work orders.
    Demo {
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Password of every demo account.
        #[arg(long, default_value = "demo")]
        demo_password: String,
        /// Work orders to generate in a fresh directory.
        #[arg(long, default_value_t = 10_000)]
        orders: usize,
        /// Seed the directory and exit without serving.
        #[arg(long)]
        seed_only: bool,
        /// Also take real calls over SIP here (UDP and TCP), trusting this
        /// machine as the carrier; replaces the call simulator.
        #[arg(long)]
        sip_listen: Option<SocketAddr>,
    },
    /// Applies pending database migrations and seeds reference data.
    Migrate,
    /// PostgreSQL: partitions the growing tables (orders, their history,
    /// the audit log, calls) by month, once, and makes the months ahead;
    /// with --list only lists the partitions.
    Partitions(commands::partitions::PartitionsArgs),
    /// The working-day calendar.
    Calendar {
        #[command(subcommand)]
        command: commands::calendar::CalendarCommand,
    },
    /// Partners' API keys (Open311 and other partner systems).
    Apikey {
        #[command(subcommand)]
        command: commands::apikey::ApiKeyCommand,
    },
    /// User accounts.
    User {
        #[command(subcommand)]
        command: commands::user::UserCommand,
    },
    /// Historical work orders from a legacy system.
    Import {
        #[command(subcommand)]
        command: commands::import::ImportCommand,
    },
    /// The knowledge base: import, export, reindex.
    Kb {
        #[command(subcommand)]
        command: commands::kb::KbCommand,
    },
    /// Agents per skill for every half-hour of the week from a sheet of
    /// calls, the shifts that cover them, and where a roster falls short.
    SeatPlan(commands::seat_plan::SeatPlanArgs),
    /// A day of the call centre simulated with the real distribution engine.
    Simulate(commands::simulate::SimulateArgs),
    /// Agents needed for a service level (Erlang C; Erlang A with --patience-secs).
    Staffing(commands::staffing::StaffingArgs),
    /// The suggestion model: training on the stored orders, evaluation on
    /// labelled messages.
    Model {
        #[command(subcommand)]
        command: commands::model::ModelCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: commands::audit::AuditCommand,
    },
    /// Backups of the database and the files beside it.
    Backup {
        #[command(subcommand)]
        command: commands::backup::BackupCommand,
    },
    /// Replaces the database and files with a backup's (the server stopped).
    Restore {
        /// The backup's directory.
        dir: PathBuf,
        /// Replace a database that already holds work orders or accounts.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let started_over = hotline_process::with_prompt_purge();
    let cli = Cli::parse();
    // Pure computation: no configuration, database or runtime.
    match cli.command {
        Command::Staffing(args) => return commands::staffing::run(args),
        Command::Simulate(args) => return commands::simulate::run(args),
        Command::Model { command } if !command.needs_database() => return commands::model::run(command),
        Command::SeatPlan(args) if !args.from_db => return commands::seat_plan::run(args, None),
        _ => {}
    }
    let listen = match &cli.command {
        Command::Serve { listen } | Command::Demo { listen, .. } => *listen,
        _ => None,
    };
    let mut config = Config::load(cli.config.as_deref(), Overrides { data_dir: cli.data_dir, database_url: cli.database_url, listen })?;
    if let Command::Demo { sip_listen: Some(sip), .. } = &cli.command {
        config.sip.listen = Some(*sip);
        if config.sip.trunks.is_empty() {
            // A softphone on this machine plays the carrier.
            config.sip.trunks.push(hotline_sip::TrunkConfig::trusted("this machine", vec![sip.ip()]));
        }
        config.sip.check().map_err(|e| anyhow::anyhow!("sip: {e}"))?;
    }
    runtime::init_logging(&config.log, config.log_format);
    if let Err(e) = hotline_process::without_huge_pages() {
        tracing::warn!(error = %e, "cannot turn transparent huge pages off for this process; its resident memory may grow under a long load");
    }
    if let Err(e) = started_over {
        tracing::warn!(error = %e, "cannot start over with {}=0; memory freed stays resident a second longer", hotline_process::PURGE_DELAY);
    }
    let rt = hotline_process::runtime()?;
    rt.block_on(async move {
        match cli.command {
            Command::Serve { .. } => commands::serve::run(config).await,
            Command::Demo { demo_password, orders, seed_only, .. } => commands::demo::run(config, demo_password, orders, seed_only).await,
            Command::Migrate => commands::migrate::run(config).await,
            Command::Partitions(args) => commands::partitions::run(config, args).await,
            Command::Calendar { command } => commands::calendar::run(config, command).await,
            Command::User { command } => commands::user::run(config, command).await,
            Command::Apikey { command } => commands::apikey::run(config, command).await,
            Command::Audit { command } => commands::audit::run(config, command).await,
            Command::Backup { command } => commands::backup::run(config, command).await,
            Command::Restore { dir, force } => commands::backup::restore(config, dir, force).await,
            Command::Kb { command } => commands::kb::run(config, command).await,
            Command::Import { command } => commands::import::run(config, command).await,
            Command::SeatPlan(args) => commands::seat_plan::run_from_db(config, args).await,
            Command::Model { command } => commands::model::run_with_database(config, command).await,
            Command::Staffing(_) | Command::Simulate(_) => unreachable!("handled before the runtime starts"),
        }
    })
}

#[cfg(test)]
mod tests {
    /// SQLite is compiled into this binary and calls `malloc`; with
    /// mimalloc's `override` that symbol is mimalloc's, defined in the
    /// executable, and not glibc's in `libc.so`.
    #[cfg(target_os = "linux")]
    #[test]
    fn c_code_allocates_through_mimalloc() {
        let malloc = nix::libc::malloc as unsafe extern "C" fn(nix::libc::size_t) -> *mut nix::libc::c_void as usize as u64;
        let exe = std::fs::read_link("/proc/self/exe").expect("the executable's path");
        let maps = std::fs::read_to_string("/proc/self/maps").expect("the process's maps");
        let owner = maps.lines().find_map(|line| {
            let mut fields = line.split_whitespace();
            let (from, to) = fields.next()?.split_once('-')?;
            let (from, to) = (u64::from_str_radix(from, 16).ok()?, u64::from_str_radix(to, 16).ok()?);
            (from..to).contains(&malloc).then(|| fields.nth(4).unwrap_or("").to_owned())
        });
        assert_eq!(owner.as_deref(), Some(exe.to_str().expect("a UTF-8 path")), "malloc lies outside the executable");
    }
}
