//! Registration bodies as the API takes them: realistic requests drawn from
//! the demo's distributions (`hotline_seed::demo::requests`), and the
//! reports of one event in one place that make a surge.

use hotline_domain::NewWorkOrder;
use hotline_seed::demo::requests::Requests;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The API's JSON for a domain registration.
pub fn body(input: &NewWorkOrder, town_code: &str) -> Value {
    json!({
        "channel": input.channel.as_str(),
        "type": input.order_type.as_str(),
        "category_id": input.category.to_string(),
        "urgency": input.urgency.as_str(),
        "caller": {
            "name": input.caller.name.as_ref().map(ToString::to_string),
            "phone": input.caller.phone.as_ref().map(ToString::to_string),
            "anonymous": input.caller.anonymous,
            "confidential": input.caller.confidential,
        },
        "location": {"town_code": town_code, "address": input.location.address.as_ref().map(ToString::to_string)},
        "subject": input.subject.as_str(),
        "description": input.description.as_str(),
        "direct_answer": input.direct_answer.as_ref().map(ToString::to_string),
    })
}

/// `n` realistic bodies, repeatable for a seed.
pub fn realistic(requests: &Requests, n: usize, seed: u64) -> Vec<Value> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let r = requests.draw(&mut rng);
            body(&r.input, &r.town_code)
        })
        .collect()
}

pub const SURGE_SUBJECT: &str = "暴雨水浸街";

/// `n` reports of one flooded street in one town, filed under whatever
/// category the consultant chose: alike enough (the house number and the
/// caller's wording vary) to be one cluster under the surge threshold.
pub fn surge(requests: &Requests, categories: &[String], n: usize, seed: u64) -> Vec<Value> {
    let mut rng = StdRng::seed_from_u64(seed);
    let (_, town_name, town_code) = &requests.towns()[2];
    let openings = ["", "市民反映", "来电称"];
    (0..n)
        .map(|i| {
            let number = 100 + rng.random_range(0..6);
            let opening = openings[rng.random_range(0..openings.len())];
            let description = format!("{opening}{town_name}东城大道{number}号附近暴雨后水浸街，水深过膝，车辆无法通行，请尽快派人排水。");
            json!({
                "channel": "phone",
                "type": "help",
                "category_id": categories[i % categories.len()],
                "urgency": "urgent",
                "caller": {"phone": format!("139{:08}", rng.random_range(0..100_000_000u32))},
                "location": {"town_code": town_code, "address": format!("{town_name}东城大道{number}号")},
                "subject": SURGE_SUBJECT,
                "description": description,
            })
        })
        .collect()
}
