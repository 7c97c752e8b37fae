//! `hotline-sip-bench`: real calls through the SIP gateway on loopback.
//! SIPp plays the carrier (new calls at a steady rate, each sending SIPp's
//! G.711 speech) and the consultants' phones (one SIPp answering for every
//! registered phone and echoing what it hears), the platform runs in this
//! process on a temporary SQLite database. Reports failed calls, relayed
//! packets and their loss, the relay's forwarding time p99 and this
//! process's CPU. Needs Debian's sip-tester and root (SIPp's pcap play).
//! With `--browsers` the consultants answer in browser phones (WebRTC)
//! played in this process, whose CPU then counts both sides of DTLS-SRTP.

use anyhow::{Context, bail};
use clap::Parser;
use hotline_app::access::AdminDesk;
use hotline_app::calls::{CallCentreConfig, DeskEvent, Lines, agent_of};
use hotline_app::clock::SystemClock;
use hotline_app::{Adapters, App, AppConfig};
use hotline_blob_fs::FsBlobStore;
use hotline_callcentre::engine::{AgentStatus, CallId, Event, Outcome};
use hotline_domain::{Affiliation, Role, RoleSet};
use hotline_sip::softphone::client::Browser;
use hotline_sip::{SipConfig, SipGateway, TrunkConfig};
use hotline_store_sql::{SqlStore, StoreOptions};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Benchmark real SIP calls through the gateway (SIPp as carrier and phones)")]
struct Args {
    /// New calls per second from the carrier.
    #[arg(long, default_value_t = 10)]
    rate: u32,
    /// How long the carrier places calls, in seconds.
    #[arg(long, default_value_t = 120)]
    seconds: u32,
    /// How long each caller stays after the answer, in ms (rate × hold =
    /// calls in progress: 10/s × 10 s = 100).
    #[arg(long, default_value_t = 10_000)]
    hold_ms: u32,
    /// Consultants at their desks with a registered phone.
    #[arg(long, default_value_t = 130)]
    consultants: usize,
    /// Leave recording off (it is on in a real centre).
    #[arg(long)]
    no_record: bool,
    /// Consultants answer in the browser: each connects a browser phone
    /// (str0m in this process playing the browser: ICE, DTLS-SRTP, a tone
    /// as microphone) and answers offers at the desk, instead of SIPp phones.
    #[arg(long)]
    browsers: bool,
}

const PASSWORD: &str = "a phone's own long passphrase";

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sip/tests/scenarios").join(name)
}

fn free_port() -> u16 {
    loop {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("a port");
        let port = socket.local_addr().expect("address").port();
        if port.is_multiple_of(2) && port < 65000 && std::net::UdpSocket::bind(("127.0.0.1", port + 2)).is_ok() {
            return port;
        }
    }
}

/// CPU seconds this process has used (user and system).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn sipp(dir: &Path, gateway: std::net::SocketAddr, scenario_name: &str, args: &[String]) -> std::io::Result<tokio::process::Child> {
    tokio::process::Command::new("sipp")
        .arg(gateway.to_string())
        .args(["-sf", scenario(scenario_name).to_str().unwrap(), "-i", "127.0.0.1", "-nostdin", "-trace_screen", "-trace_err"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store =
        SqlStore::connect(&format!("sqlite://{}/sip.db", dir.path().display()), StoreOptions::default()).await.context("connect")?;
    store.migrate().await.context("migrate")?;
    let sip = SipConfig {
        listen: Some("127.0.0.1:0".parse()?),
        trunks: vec![TrunkConfig::trusted("SIPp", vec!["127.0.0.1".parse()?])],
        rtp_ports: [30000, 39999],
        record: !args.no_record,
        spool_dir: Some(dir.path().to_owned()),
        // Callers hang up themselves; no rating prompt holds lines.
        rating_secs: 0,
        ..SipConfig::default()
    };
    let gateway = SipGateway::bind(sip).await?;
    let adapters = Adapters {
        store: Arc::new(store),
        blobs: Arc::new(FsBlobStore::new(dir.path().join("blobs"))),
        search: Arc::new(hotline_search::TantivySearch::open(&dir.path().join("index"))?),
        lines: Lines::Network(gateway.clone()),
        audit: hotline_blob_fs::ephemeral_audit_anchor(dir.path()),
        models: std::sync::Arc::new(hotline_app::suggestions::NoShelf),
    };
    let callcentre = CallCentreConfig { wrap_up_secs: 0, max_waiting: 10_000, ..CallCentreConfig::default() };
    let app = App::new(adapters, AppConfig { callcentre, ..AppConfig::default() }, Arc::new(SystemClock)).await?;
    hotline_seed::seed_reference(&app).await?;

    let total = u64::from(args.rate) * u64::from(args.seconds);
    let (phone_port, phone_media) = (free_port(), free_port());
    let phones = if args.browsers {
        None
    } else {
        Some(sipp(
            dir.path(),
            gateway.local_addr(),
            "phone.xml",
            &[
                "-p".into(),
                phone_port.to_string(),
                "-mp".into(),
                phone_media.to_string(),
                "-rtp_echo".into(),
                "-m".into(),
                total.to_string(),
            ],
        )?)
    };
    let admin = AdminDesk::operator();
    let mut desks = Vec::new();
    let mut browsers = Vec::new();
    eprintln!("connecting {} phones ({}) …", args.consultants, if args.browsers { "browsers" } else { "SIPp" });
    for i in 0..args.consultants {
        let name = format!("bench{i:03}");
        let user = app
            .org
            .insert_user(&admin, name.clone(), name.clone(), "x".into(), Affiliation::Centre, RoleSet::new([Role::Consultant]))
            .await?;
        app.org.set_demo_phone_password(&admin, user.id, PASSWORD).await?;
        if args.browsers {
            let line = app.access.open(hotline_app::auth::principal_of(&user)).phone_user()?;
            let browser = Browser::connect(&app.calls, &line, 440.0).await?;
            browser.connected().await?;
            browsers.push(browser);
            let mut desk = app.calls.switchboard.login(user.id, name, [("general".to_owned(), 5u8)].into()).await?;
            let agent = agent_of(user.id);
            app.calls.switchboard.event(Event::SetStatus { agent, status: AgentStatus::Available }).await?;
            // The consultant presses 接听 for every call offered.
            let switchboard = app.calls.switchboard.clone();
            tokio::spawn(async move {
                while let Some(event) = desk.events.recv().await {
                    if let DeskEvent::Offered { call, .. } = event
                        && let Ok(call) = call.parse::<u64>()
                    {
                        let _ = switchboard.event(Event::Answered { call: CallId(call), agent }).await;
                    }
                }
            });
            desks.push(user.id);
            continue;
        }
        let register = sipp(
            dir.path(),
            gateway.local_addr(),
            "register.xml",
            &[
                "-s".into(),
                name.clone(),
                "-au".into(),
                name.clone(),
                "-ap".into(),
                PASSWORD.into(),
                "-key".into(),
                "phone_port".into(),
                phone_port.to_string(),
                "-p".into(),
                free_port().to_string(),
                "-m".into(),
                "1".into(),
            ],
        )?;
        if !register.wait_with_output().await?.status.success() {
            bail!("{name}'s phone did not register");
        }
        let mut desk = app.calls.switchboard.login(user.id, name, [("general".to_owned(), 5u8)].into()).await?;
        app.calls.switchboard.event(Event::SetStatus { agent: agent_of(user.id), status: AgentStatus::Available }).await?;
        // Desks that nobody reads would only queue events.
        tokio::spawn(async move { while desk.events.recv().await.is_some() {} });
        desks.push(user.id);
    }

    eprintln!("placing {total} calls at {}/s, each held {} ms …", args.rate, args.hold_ms);
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let limit = (u64::from(args.rate) * u64::from(args.hold_ms) / 1000 * 2).max(10);
    let carrier = sipp(
        dir.path(),
        gateway.local_addr(),
        "carrier.xml",
        &[
            "-s".into(),
            "12345".into(),
            "-p".into(),
            free_port().to_string(),
            "-mp".into(),
            free_port().to_string(),
            "-r".into(),
            args.rate.to_string(),
            "-m".into(),
            total.to_string(),
            "-l".into(),
            limit.to_string(),
            "-d".into(),
            args.hold_ms.to_string(),
            "-timeout".into(),
            format!("{}s", args.seconds + 120),
        ],
    )?;
    let mut peak = 0;
    let mut carrier = Box::pin(carrier.wait_with_output());
    let status = loop {
        tokio::select! {
            out = &mut carrier => break out?.status,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {
                let board = app.calls.switchboard.wallboard().await?;
                let talking = board.agents.iter().filter(|a| a.state == "talking").count();
                peak = peak.max(talking);
            }
        }
    };
    let (cpu, wall) = (cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64());
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(phones);
    let heard = browsers.iter().map(|b| b.frames()).fold((0, 0, 0), |(h, l, s), (h2, l2, s2)| (h + h2, l + l2, s + s2));

    let screen = std::fs::read_dir(dir.path())?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("carrier") && e.file_name().to_string_lossy().ends_with("_screen.log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .unwrap_or_default();
    let cumulative = |label: &str| -> Option<u64> {
        let line = screen.lines().rev().find(|l| l.trim_start().starts_with(label))?;
        line.split('|').nth(2)?.split_whitespace().next()?.parse().ok()
    };
    let (ok, failed) = (cumulative("Successful call"), cumulative("Failed call"));
    let from = chrono::Utc::now() - chrono::Duration::hours(1);
    let rows = hotline_app::calls::CallStore::calls(app.store.as_ref(), from, chrono::Utc::now() + chrono::Duration::hours(1)).await?;
    let answered = rows.iter().filter(|r| r.outcome == Outcome::Answered).count();
    let recorded = rows.iter().filter(|r| r.recording.is_some()).count();
    let s = gateway.media_stats();
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let (from_caller, to_phone, from_phone, to_caller) =
        (load(&s.from_caller), load(&s.to_consultant), load(&s.from_consultant), load(&s.to_caller));
    let loss = |sent: u64, got: u64| if sent == 0 { 0.0 } else { 100.0 * (sent.saturating_sub(got)) as f64 / sent as f64 };
    println!("SIPp exit {status}; calls placed {total}: successful {ok:?}, failed {failed:?}");
    println!("call records: {} ({answered} answered, {recorded} recorded); consultants talking at the peak: {peak}", rows.len());
    println!("RTP caller→relay {from_caller}, relay→phone {to_phone}, phone→relay {from_phone}, relay→caller {to_caller}");
    println!(
        "relay loss phone→caller {:.3} %; prompts {}; forwarding p99 < {} µs",
        loss(from_phone, to_caller),
        load(&s.prompt_packets),
        s.forward_p99_us().unwrap_or(0)
    );
    // How the calls sounded, as the relay measured them and the records keep it.
    let measured: Vec<_> = rows.iter().filter_map(|r| r.quality).collect();
    let scores: Vec<f64> = measured.iter().filter_map(|q| q.mos()).collect();
    let (lost, packets) = measured.iter().fold((0, 0), |(l, p), q| {
        (l + q.caller.lost + q.consultant.lost, p + q.caller.packets + q.consultant.packets + q.caller.lost + q.consultant.lost)
    });
    let worst_jitter = measured.iter().map(|q| q.caller.jitter_ms.max(q.consultant.jitter_ms)).fold(0.0, f64::max);
    let (min, mean) = (scores.iter().copied().fold(f64::INFINITY, f64::min), scores.iter().sum::<f64>() / scores.len().max(1) as f64);
    println!(
        "quality: {} calls measured, MOS mean {mean:.2} min {min:.2}, loss {:.3} % of {packets} packets, worst jitter {worst_jitter:.1} ms",
        measured.len(),
        if packets == 0 { 0.0 } else { 100.0 * lost as f64 / packets as f64 }
    );
    if args.browsers {
        println!(
            "browsers: {} connected at the end of {}; frames heard {} ({} not silent), sent {}",
            browsers.iter().filter(|b| b.heard.connected.load(Ordering::Relaxed)).count(),
            browsers.len(),
            heard.0,
            heard.1,
            heard.2
        );
    }
    println!("hotline process CPU {cpu:.1} s over {wall:.1} s = {:.0} % of one core", 100.0 * cpu / wall);
    Ok(())
}
