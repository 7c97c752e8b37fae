//! Users and a bulk load of stored orders.

use hotline_app::App;
use hotline_app::access::AdminDesk;
use hotline_app::auth::hash_password;
use hotline_domain::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration as StdDuration, Instant};

pub const PASSWORD: &str = "benchmark-password";

pub struct People {
    pub consultant: UserId,
    pub dispatcher: UserId,
    /// Units and their handler, busiest first.
    pub units: Vec<(UnitId, UserId, String)>,
}

async fn add(app: &App, hash: &str, name: String, affiliation: Affiliation, role: Role) -> anyhow::Result<UserId> {
    let user = app.org.insert_user(&AdminDesk::operator(), name.clone(), name, hash.to_owned(), affiliation, RoleSet::new([role])).await?;
    Ok(user.id)
}

pub async fn users(app: &App) -> anyhow::Result<People> {
    let hash = hash_password(PASSWORD)?;
    let consultant = add(app, &hash, "consultant".into(), Affiliation::Centre, Role::Consultant).await?;
    let dispatcher = add(app, &hash, "dispatcher".into(), Affiliation::Centre, Role::Dispatcher).await?;
    let org = app.directory.snapshot();
    let mut firsts: Vec<&Unit> = org.units().filter(|u| u.parent.is_none()).collect();
    firsts.sort_by(|a, b| a.code.cmp(&b.code));
    let mut units = Vec::new();
    for u in firsts {
        let name = format!("h_{}", u.code);
        units.push((u.id, add(app, &hash, name.clone(), Affiliation::Unit(u.id), Role::Handler).await?, name));
    }
    Ok(People { consultant, dispatcher, units })
}

/// Loads `n` realistic orders (the demo's requests, towns and texts)
/// registered over the last year: all but `open_percent` %
/// archived, the rest dispatched (5 %) or in progress. A third of all orders go to the first unit,
/// so its pending list is the longest a busy town would have.
/// With `partner`, one order in ten came from that partner's system (its
/// external reference and the API channel).
pub async fn orders(app: &App, people: &People, n: usize, open_percent: u32, partner: Option<&str>) -> anyhow::Result<StdDuration> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(7);
    let calendar = app.calendar.snapshot();
    let rules = app.orders.rules().clone();
    let requests = hotline_seed::demo::requests::Requests::new(app)?;
    let consultant = Actor { user: people.consultant, affiliation: Affiliation::Centre, roles: RoleSet::new([Role::Consultant]) };
    let dispatcher = Actor { user: people.dispatcher, affiliation: Affiliation::Centre, roles: RoleSet::new([Role::Dispatcher]) };
    let now = app.clock.now();
    let mut batch = Vec::with_capacity(2_000);
    let mut done = 0;
    while done < n {
        let count = (n - done).min(2_000);
        let mut times: Vec<_> = (0..count).map(|_| now - chrono::Duration::seconds(rng.random_range(60..365 * 86_400))).collect();
        times.sort();
        for at in times {
            let (unit, handler, _) =
                if rng.random_bool(0.33) { &people.units[0] } else { &people.units[rng.random_range(0..people.units.len())] };
            let ctx = DecisionContext { now: at, calendar: &calendar, rules: &rules };
            let mut input = requests.draw(&mut rng).input;
            input.direct_answer = None;
            if let Some(source) = partner.filter(|_| (done + batch.len()) % 10 == 0) {
                input.channel = Channel::Api;
                input.external_ref = Some(ExternalRef::parse(source, &format!("case-{}", done + batch.len()))?);
            }
            let registration = Registration { id: OrderId(app.ids.next()), number: app.orders.next_number(calendar.local_date(at)).await? };
            let first = register(input, &consultant, registration, &ctx)?;
            let mut history = vec![first.entry];
            let sent = decide(&first.order, &dispatcher, Command::Dispatch { lead: *unit, co_handlers: vec![], note: None }, &ctx)?;
            history.push(sent.entry);
            let mut order = sent.order;
            let roll: u32 = rng.random_range(0..100);
            if roll >= 5 {
                let h = Actor { user: *handler, affiliation: Affiliation::Unit(*unit), roles: RoleSet::new([Role::Handler]) };
                let signed = decide(&order, &h, Command::SignFor, &ctx)?;
                history.push(signed.entry);
                order = signed.order;
                if roll >= open_percent.max(5) {
                    // Closed: the stored row and the units' flags as an archived order has them.
                    order.state = State::Archived;
                    order.resolved_at = Some(at);
                    order.closed_at = Some(at);
                }
            }
            batch.push((order, history));
        }
        done += batch.len();
        app.orders.import(None, std::mem::take(&mut batch), "benchmark").await?;
        if done % 100_000 == 0 {
            eprintln!("  loaded {done} orders ({:.0} s)", started.elapsed().as_secs_f64());
        }
    }
    Ok(started.elapsed())
}

/// The unit with the most stored orders: id, code, name.
pub fn busiest_unit(app: &App) -> (UnitId, String, String) {
    let org = app.directory.snapshot();
    let mut firsts: Vec<&Unit> = org.units().filter(|u| u.parent.is_none()).collect();
    firsts.sort_by(|a, b| a.code.cmp(&b.code));
    let u = firsts[0];
    (u.id, u.code.clone(), u.name.clone())
}
