//! A centre on the SIP gateway over a fresh database, and SIPp playing the
//! carrier and the consultants' phones on loopback.

#![allow(dead_code)]

use hotline_app::access::AdminDesk;
use hotline_app::calls::{CallCentreConfig, CallRow, DeskEvent, DeskLink, Lines, agent_of};
use hotline_app::clock::SystemClock;
use hotline_app::{Adapters, App, AppConfig};
use hotline_blob_fs::FsBlobStore;
use hotline_callcentre::engine::{AgentStatus, Event};
use hotline_domain::{Affiliation, Role, RoleSet, UserId};
use hotline_sip::{OutboundTrunk, SipConfig, SipGateway, TrunkConfig};
use hotline_test_support::TestDb;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

pub const PHONE_PASSWORD: &str = "a phone's own long passphrase";

pub struct Centre {
    pub app: App,
    pub blobs: Arc<FsBlobStore>,
    pub gateway: Arc<SipGateway>,
    pub sip: SocketAddr,
    /// SIPp's logs, and the working directory of every SIPp run.
    pub dir: tempfile::TempDir,
    db: Arc<TestDb>,
}

/// A free local port with the three after it free too (SIPp's audio RTP
/// and RTCP, video RTP and RTCP), never one this test process handed out
/// before. Taken from 10000–19999, below the gateway's RTP ports (20000 up)
/// and the system's ephemeral ones (32768 up): a socket bound to port 0
/// elsewhere (a browser client, a database connection) cannot take one
/// between this probe and SIPp binding it. Blocks are drawn at random, so
/// tests running at once in other processes rarely draw the same.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = 10000 + (rand::random::<u16>() % 2500) * 4;
        let free = (port..port + 4).all(|p| std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok());
        let mut given = GIVEN.lock().expect("ports lock");
        if free && !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

impl Centre {
    pub async fn start(callcentre: CallCentreConfig) -> Self {
        Self::start_with(callcentre, |_| {}).await
    }

    pub async fn start_with(callcentre: CallCentreConfig, tweak: impl FnOnce(&mut SipConfig)) -> Self {
        Self::start_lines(callcentre, tweak, false).await
    }

    /// A centre whose simulator runs beside the gateway (as the demo's).
    pub async fn start_with_simulator(callcentre: CallCentreConfig) -> Self {
        Self::start_lines(callcentre, |_| {}, true).await
    }

    async fn start_lines(callcentre: CallCentreConfig, tweak: impl FnOnce(&mut SipConfig), simulator: bool) -> Self {
        Self::start_on(Arc::new(TestDb::new().await), callcentre, tweak, simulator).await
    }

    /// Another centre on this one's database, with its own gateway: as a
    /// node taking the call centre over, or this one started anew.
    pub async fn beside(&self, callcentre: CallCentreConfig, sip_port: u16) -> Self {
        let listen = SocketAddr::from(([127, 0, 0, 1], sip_port));
        Self::start_on(self.db.clone(), callcentre, |sip| sip.listen = Some(listen), false).await
    }

    async fn start_on(db: Arc<TestDb>, callcentre: CallCentreConfig, tweak: impl FnOnce(&mut SipConfig), simulator: bool) -> Self {
        // RUST_LOG=hotline_sip=debug shows the gateway's side of a failure.
        let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_test_writer().try_init();
        let store = Arc::new(db.store().await);
        let dir = tempfile::tempdir().expect("temp dir");
        let first = 20000 + (std::process::id() % 200) as u16 * 40;
        let mut sip = SipConfig {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            trunks: vec![TrunkConfig::trusted("loopback carrier", vec!["127.0.0.1".parse().unwrap()])],
            rtp_ports: [first, 29999],
            spool_dir: Some(dir.path().to_owned()),
            ..SipConfig::default()
        };
        tweak(&mut sip);
        let blobs = Arc::new(FsBlobStore::new(dir.path().join("blobs")));
        let gateway = SipGateway::bind(sip).await.expect("the gateway listens");
        let adapters = Adapters {
            store,
            blobs: blobs.clone(),
            search: Arc::new(hotline_search::TantivySearch::in_memory().expect("search index")),
            lines: if simulator { Lines::NetworkAndSimulator(gateway.clone()) } else { Lines::Network(gateway.clone()) },
            audit: hotline_blob_fs::ephemeral_audit_anchor(dir.path()),
            models: std::sync::Arc::new(hotline_app::suggestions::NoShelf),
        };
        let app = App::new(adapters, AppConfig { callcentre, ..AppConfig::default() }, Arc::new(SystemClock)).await.expect("app");
        hotline_seed::seed_reference(&app).await.expect("reference data");
        let sip = gateway.local_addr();
        Self { app, blobs, gateway, sip, dir, db }
    }

    /// A consultant whose phone may register with [`PHONE_PASSWORD`].
    pub async fn consultant(&self, username: &str) -> UserId {
        self.staff(username, Role::Consultant).await
    }

    /// Someone of the centre with `role` whose phone may register with
    /// [`PHONE_PASSWORD`].
    pub async fn staff(&self, username: &str, role: Role) -> UserId {
        let admin = AdminDesk::operator();
        let user = self
            .app
            .org
            .insert_user(&admin, username.into(), format!("{username} 咨询员"), "x".into(), Affiliation::Centre, RoleSet::new([role]))
            .await
            .expect("user");
        self.app.org.set_demo_phone_password(&admin, user.id, PHONE_PASSWORD).await.expect("phone password");
        user.id
    }

    /// What `actor` did, as the sealed audit log has it: (action, target).
    pub async fn audited(&self, actor: UserId) -> Vec<(String, String)> {
        self.app.auditor.seal_all().await.expect("sealing the audit log");
        let log = self.app.store.audit_log(None, 100).await.expect("the audit log");
        log.into_iter().filter(|e| e.record.actor == Some(actor)).map(|e| (e.record.action, e.record.target)).collect()
    }

    /// The user's proof of a phone line, as the API's gate gives it.
    pub async fn phone_user(&self, user: UserId) -> hotline_app::access::PhoneUser {
        let record = self.app.store.user(user).await.expect("user").expect("user exists");
        self.app.access.open(hotline_app::auth::principal_of(&record)).phone_user().expect("a consultant or supervisor")
    }

    /// The consultant at the desk, available, with the skills given.
    pub async fn desk(&self, user: UserId, skills: &[(&str, u8)]) -> DeskLink {
        let skills: BTreeMap<String, u8> = skills.iter().map(|(s, l)| (s.to_string(), *l)).collect();
        let desk = self.app.calls.switchboard.login(user, "咨询员".into(), skills).await.expect("desk");
        self.app
            .calls
            .switchboard
            .event(Event::SetStatus { agent: agent_of(user), status: AgentStatus::Available })
            .await
            .expect("available");
        desk
    }

    /// Runs SIPp to the end; its exit status 0 means every call succeeded.
    pub fn sipp(&self, scenario: &str, args: &[&str]) -> tokio::process::Child {
        self.sipp_to(self.sip, scenario, args)
    }

    /// A phone (`phone.xml`) listening at `port` that answers and echoes
    /// what it hears: a consultant's phone, a sub-centre or a citizen rung back.
    pub fn echoing_phone(&self, port: u16) -> tokio::process::Child {
        self.sipp("phone.xml", &["-p", &port.to_string(), "-mp", &free_port().to_string(), "-rtp_echo"])
    }

    /// SIPp talking to `remote` (a proxy in front of the gateway).
    pub fn sipp_to(&self, remote: SocketAddr, scenario: &str, args: &[&str]) -> tokio::process::Child {
        let path = scenario_path(scenario);
        let ip = if args.contains(&"-i") { &[][..] } else { &["-i", "127.0.0.1"][..] };
        // One call unless the test says how many (SIPp keeps the first -m).
        let calls = if args.contains(&"-m") { &[][..] } else { &["-m", "1"][..] };
        tokio::process::Command::new("sipp")
            .arg(remote.to_string())
            .args(["-sf", path.to_str().unwrap(), "-nostdin", "-timeout", "40s", "-timeout_error"])
            .args(calls)
            .args(ip)
            .args(["-trace_err", "-trace_msg", "-trace_screen"])
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("SIPp runs (Debian's sip-tester; .ci/run installs it)")
    }

    /// Waits for a SIPp run and fails with its logs when it failed.
    pub async fn finished(&self, child: tokio::process::Child, what: &str) {
        let output = Self::output(child).await;
        if !output.status.success() {
            self.failed(what, &output);
        }
    }

    async fn output(child: tokio::process::Child) -> std::process::Output {
        tokio::time::timeout(Duration::from_secs(60), child.wait_with_output()).await.expect("SIPp ends").expect("SIPp output")
    }

    fn failed(&self, what: &str, output: &std::process::Output) -> ! {
        panic!("{what}: SIPp exited with {}\n{}\n{}", output.status, String::from_utf8_lossy(&output.stderr), self.logs());
    }

    /// Every log SIPp left, for a failure's message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for entry in std::fs::read_dir(self.dir.path()).expect("dir").flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(".log") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let tail: String = text.chars().rev().take(4000).collect::<Vec<_>>().into_iter().rev().collect();
                out.push_str(&format!("== {name}\n{tail}\n"));
            }
        }
        out
    }

    /// The phone of `username` registers; `phone_port` is where its own
    /// SIPp answers.
    pub async fn register(&self, username: &str, password: &str, phone_port: u16) {
        self.register_to(self.sip, username, password, phone_port).await
    }

    /// … through `proxy` (Kamailio, which adds itself to the Path), from
    /// the phone's own port, as a phone does: the proxy sends requests to
    /// the phone back where its REGISTER came from. Start the phone's SIPp
    /// after this.
    pub async fn register_through(&self, proxy: SocketAddr, username: &str, password: &str, phone_port: u16) {
        let phone = phone_port.to_string();
        let child = self.sipp_to(
            proxy,
            "register.xml",
            &["-s", username, "-au", username, "-ap", password, "-key", "phone_port", &phone, "-p", &phone],
        );
        self.finished(child, "the registration through the proxy").await;
    }

    async fn register_to(&self, registrar: SocketAddr, username: &str, password: &str, phone_port: u16) {
        let phone = phone_port.to_string();
        // A port found free may be taken (by a test running beside this one)
        // before SIPp binds it: then SIPp tries another.
        for attempt in 1..=3 {
            let port = free_port().to_string();
            let child = self.sipp_to(
                registrar,
                "register.xml",
                &["-s", username, "-au", username, "-ap", password, "-key", "phone_port", &phone, "-p", &port],
            );
            let output = Self::output(child).await;
            if output.status.success() {
                return;
            }
            if attempt == 3 || !String::from_utf8_lossy(&output.stderr).contains("Address already in use") {
                self.failed("registration", &output);
            }
        }
    }

    /// A call's record once its recording is noted on it.
    pub async fn recorded(&self, caller: &str) -> (CallRow, Vec<u8>) {
        for _ in 0..100 {
            let row = self.record(caller).await;
            if let Some(recording) = &row.recording {
                let bytes = hotline_app::attachments::BlobStore::get(self.blobs.as_ref(), &recording.sha256)
                    .await
                    .expect("the recording's content");
                return (row, bytes);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the call from {caller} has no recording");
    }

    /// A finished call's record once its audio's quality is on it.
    pub async fn measured(&self, caller: &str) -> hotline_callcentre::quality::CallQuality {
        for _ in 0..100 {
            if let Some(quality) = self.record(caller).await.quality {
                return quality;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the call from {caller} was not measured");
    }

    /// A finished call's record, once the switchboard's writer stored it.
    pub async fn record(&self, caller: &str) -> CallRow {
        let from = chrono::Utc::now() - chrono::Duration::hours(1);
        let to = chrono::Utc::now() + chrono::Duration::hours(1);
        for _ in 0..100 {
            let calls = self.app.store.calls(from, to).await.expect("calls");
            if let Some(row) = calls.into_iter().find(|c| c.caller == caller) {
                return row;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no call from {caller} was stored");
    }
}

impl Centre {
    /// A copy of a scenario with words replaced (SIPp takes no keywords
    /// in attributes such as an expected status).
    pub fn variant(&self, name: &str, replace: &[(&str, &str)]) -> PathBuf {
        let mut text = std::fs::read_to_string(scenario_path(name)).expect("scenario");
        for (from, to) in replace {
            text = text.replace(from, to);
        }
        let path = self.dir.path().join(format!("variant-{}-{name}", rand_suffix()));
        std::fs::write(&path, text).expect("write scenario");
        path
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

pub fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios").join(name)
}

impl Centre {
    /// The next desk event that `pick` takes, within 20 s.
    pub async fn desk_event<T>(&self, desk: &mut DeskLink, mut pick: impl FnMut(&DeskEvent) -> Option<T>) -> T {
        let mut seen = Vec::new();
        let wait = async {
            loop {
                let event = desk.events.recv().await.expect("desk open");
                if let Some(found) = pick(&event) {
                    return found;
                }
                seen.push(format!("{event:?}"));
            }
        };
        match tokio::time::timeout(Duration::from_secs(20), wait).await {
            Ok(found) => found,
            Err(_) => panic!("the desk event did not come; the desk saw {seen:?}\n{}", self.logs()),
        }
    }
}

/// The carrier's trunk for outgoing calls, reaching a SIPp line (or a
/// socket playing the carrier) at `port` and showing 12345.
pub fn outbound_trunk(port: u16) -> OutboundTrunk {
    OutboundTrunk {
        address: SocketAddr::from(([127, 0, 0, 1], port)),
        username: None,
        password: None,
        caller_id: "12345".into(),
        show_caller: false,
        // SIPp plays one scenario: a probe would be a call it does not expect.
        keepalive_secs: 0,
    }
}

impl Centre {
    /// How the desk's next callback ended (`DeskEvent::CallbackEnded`'s code).
    pub async fn callback_outcome(&self, desk: &mut DeskLink) -> String {
        self.desk_event(desk, |e| match e {
            DeskEvent::CallbackEnded { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .await
    }

    /// The call next offered to the desk.
    pub async fn offered_call(&self, desk: &mut DeskLink) -> String {
        self.desk_event(desk, |e| match e {
            DeskEvent::Offered { call, .. } => Some(call.clone()),
            _ => None,
        })
        .await
    }
}

/// The RMS level of each channel of a stereo 16-bit WAV.
pub fn channel_levels(wav: &[u8]) -> (f64, f64) {
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 2, "stereo");
    assert_eq!(u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]), 8000, "8 kHz");
    let samples: Vec<i16> = wav[44..].chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
    let rms = |channel: usize| {
        let values: Vec<f64> = samples.iter().skip(channel).step_by(2).map(|s| f64::from(*s)).collect();
        (values.iter().map(|v| v * v).sum::<f64>() / values.len().max(1) as f64).sqrt()
    };
    (rms(0), rms(1))
}

/// Tenths of a second of a stereo 8 kHz WAV's `channel` in which a tone of
/// `hz` carries most of the sound (Goertzel's power against the block's).
pub fn tone_tenths(wav: &[u8], channel: usize, hz: f64) -> usize {
    let samples: Vec<f64> =
        wav[44..].chunks_exact(2).map(|b| f64::from(i16::from_le_bytes([b[0], b[1]]))).skip(channel).step_by(2).collect();
    let coefficient = 2.0 * (2.0 * std::f64::consts::PI * hz / 8000.0).cos();
    samples
        .chunks_exact(800)
        .filter(|block| {
            let (mut s1, mut s2) = (0.0, 0.0);
            for x in *block {
                let s0 = x + coefficient * s1 - s2;
                s2 = s1;
                s1 = s0;
            }
            let tone = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
            let energy: f64 = block.iter().map(|x| x * x).sum();
            // A pure tone scores 1; half the block's sound in the tone, 0.5.
            energy > 0.0 && tone * 2.0 / (block.len() as f64 * energy) > 0.5
        })
        .count()
}

/// Debian's baresip as a consultant's softphone: registers with digest,
/// answers automatically, sends a 1 kHz tone and records what it hears
/// (module sndfile) into `dir`.
pub struct Baresip {
    pub child: tokio::process::Child,
    pub dir: PathBuf,
}

impl Centre {
    pub fn baresip(&self, username: &str, password: &str) -> Baresip {
        let dir = self.dir.path().join(format!("baresip-{username}"));
        std::fs::create_dir_all(dir.join("heard")).expect("baresip dir");
        let tone: Vec<i16> =
            (0..8000 * 20).map(|i| ((i as f64 * 2.0 * std::f64::consts::PI * 1000.0 / 8000.0).sin() * 8000.0) as i16).collect();
        std::fs::write(dir.join("tone.wav"), hotline_sip::media::wav::write_pcm16(1, &tone)).expect("tone");
        let port = free_port();
        let config = format!(
            "module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\nmodule sndfile.so\nmodule account.so\n\
             sip_listen 127.0.0.1:{port}\naudio_source aufile,{tone}\naudio_player aufile,{sink}\nsnd_path {heard}\n\
             audio_srate 8000\naudio_channels 1\n",
            tone = dir.join("tone.wav").display(),
            sink = dir.join("played.wav").display(),
            heard = dir.join("heard").display(),
        );
        std::fs::write(dir.join("config"), config).expect("config");
        let account = format!("<sip:{username}@{};transport=udp>;auth_pass=\"{password}\";answermode=auto;regint=300\n", self.sip);
        std::fs::write(dir.join("accounts"), account).expect("accounts");
        let child = tokio::process::Command::new("baresip")
            .args(["-f", dir.to_str().unwrap(), "-t", "60"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("out.log")).expect("log"))
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("baresip runs (Debian's baresip; .ci/run installs it)");
        Baresip { child, dir }
    }
}

/// Debian's Kamailio as the carrier's edge proxy, its dispatcher pointing
/// at the gateway (`tests/kamailio/kamailio.cfg`).
pub struct Kamailio {
    pub child: tokio::process::Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

/// Kamailio forks its workers; the SIGKILL of `kill_on_drop` reaches only
/// the main process and would leave them running, holding its port. It
/// runs in its own process group, which goes whole.
impl Drop for Kamailio {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).status();
        }
    }
}

/// Debian's rtpengine (userspace, no kernel module) behind Kamailio.
pub struct Rtpengine {
    pub child: tokio::process::Child,
    /// The control socket (ng protocol) Kamailio drives it through.
    pub ng: SocketAddr,
    /// Its command line, for its statistics.
    pub cli: SocketAddr,
    pub log: PathBuf,
}

impl Rtpengine {
    /// A figure of `list totals` (e.g. "Total relayed packets"), over
    /// the sessions that ended.
    pub async fn total(&self, name: &str) -> u64 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut cli = tokio::net::TcpStream::connect(self.cli).await.expect("rtpengine's CLI");
        cli.write_all(b"list totals\n").await.expect("CLI command");
        let mut text = String::new();
        cli.read_to_string(&mut text).await.expect("CLI answer");
        let line =
            text.lines().find(|l| l.split(':').next().is_some_and(|n| n.trim() == name)).unwrap_or_else(|| panic!("no {name} in:\n{text}"));
        line.rsplit(':').next().and_then(|n| n.trim().parse().ok()).unwrap_or_else(|| panic!("unreadable {line}"))
    }
}

impl Centre {
    pub async fn rtpengine(&self) -> Rtpengine {
        let dir = self.dir.path().join("rtpengine");
        std::fs::create_dir_all(&dir).expect("rtpengine dir");
        // Between the gateway's RTP ports (below 30000 in these tests) and
        // the system's ephemeral ones, where SIPp's come from.
        let first = 30000 + (std::process::id() % 50) as u16 * 20;
        let log = dir.join("rtpengine.log");
        // A free port found here can be taken by a test running beside this
        // one before rtpengine binds it: then it is started again on others.
        for _ in 0..5 {
            let (ng, cli): (SocketAddr, SocketAddr) =
                (format!("127.0.0.1:{}", free_port()).parse().unwrap(), format!("127.0.0.1:{}", free_port()).parse().unwrap());
            let mut child = tokio::process::Command::new("rtpengine")
                .args(["--foreground", "--table=-1", "--interface=127.0.0.1", "--log-stderr", "--log-level=6", "--delete-delay=0"])
                .args([format!("--listen-ng={ng}"), format!("--listen-cli={cli}")])
                .args([format!("--port-min={first}"), format!("--port-max={}", first + 19)])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log"))
                .kill_on_drop(true)
                .spawn()
                .expect("rtpengine runs (Debian's rtpengine-daemon; .ci/run installs it)");
            for _ in 0..100 {
                if tokio::net::TcpStream::connect(cli).await.is_ok() {
                    return Rtpengine { child, ng, cli, log };
                }
                if child.try_wait().expect("rtpengine's state").is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            if !said.contains("Address already in use") {
                panic!("rtpengine did not start:\n{said}");
            }
        }
        panic!("rtpengine found no free ports in five tries:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
    }

    pub async fn kamailio(&self) -> Kamailio {
        self.kamailio_with(None).await
    }

    /// Kamailio anchoring the media in `rtpengine`.
    pub async fn kamailio_with(&self, rtpengine: Option<&Rtpengine>) -> Kamailio {
        self.kamailio_for(rtpengine, &[]).await
    }

    /// … knowing `others` too, gateways that may reach the phones through
    /// it but take none of the carrier's calls (a group of their own).
    pub async fn kamailio_for(&self, rtpengine: Option<&Rtpengine>, others: &[SocketAddr]) -> Kamailio {
        let dir = self.dir.path().join("kamailio");
        std::fs::create_dir_all(&dir).expect("kamailio dir");
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let list = dir.join("dispatcher.list");
        let others: String = others.iter().map(|o| format!("2 sip:{o}\n")).collect();
        std::fs::write(&list, format!("1 sip:{}\n{others}", self.sip)).expect("dispatcher list");
        let template = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kamailio/kamailio.cfg")).expect("cfg");
        let config = template
            .replace("listen=udp:LISTEN", &format!("listen=udp:{addr}"))
            .replace("\"LIST\"", &format!("\"{}\"", list.display()))
            .replace("RTPENGINE_NG", &rtpengine.map(|r| r.ng.to_string()).unwrap_or_default());
        std::fs::write(dir.join("kamailio.cfg"), config).expect("cfg");
        let log = dir.join("kamailio.log");
        let child = tokio::process::Command::new("kamailio")
            .args(["-f", dir.join("kamailio.cfg").to_str().unwrap(), "-DD", "-E", "-Y", dir.to_str().unwrap(), "-w", dir.to_str().unwrap()])
            .args(if rtpengine.is_some() { &["-A", "WITH_RTPENGINE"][..] } else { &[] })
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("Kamailio runs (Debian's kamailio; .ci/run installs it)");
        // Ready once it listens and its dispatcher has probed the gateway.
        for _ in 0..100 {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("ERROR") && text.contains("exiting") {
                panic!("Kamailio did not start:\n{text}");
            }
            if std::net::UdpSocket::bind(addr).is_err() {
                tokio::time::sleep(Duration::from_millis(300)).await;
                return Kamailio { child, addr, log };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("Kamailio did not listen on {addr}:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
    }
}
