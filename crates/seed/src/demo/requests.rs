//! Realistic requests as citizens make them: one of the demo's templates,
//! a street in one of the 36 towns, a house number, sometimes a detail the
//! caller adds, the channels and urgencies in their usual shares. The demo's
//! history and the benchmark's load are drawn from the same distributions.

use super::texts::{DETAILS, DOWNPOUR, ROADS, TEMPLATES, Template, WATER_CUT};
use crate::SeedResult;
use crate::reference::category_by_path;
use hotline_app::App;
use hotline_domain::*;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// A request drawn at random, ready to register.
pub struct Request {
    pub input: NewWorkOrder,
    pub template: &'static Template,
    pub town_code: String,
    /// Whether the consultant answers it at once (with the template's answer).
    pub direct: bool,
}

pub struct Requests {
    templates: Vec<(CategoryId, &'static Template)>,
    /// Town id, name and code, by code.
    towns: Vec<(UnitId, String, String)>,
}

pub(crate) fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn phone(rng: &mut StdRng) -> PhoneNumber {
    let prefixes = ["138", "139", "137", "135", "150", "186", "189", "133", "177", "199"];
    let n = format!("{}{:08}", pick(rng, &prefixes), rng.random_range(0..100_000_000u32));
    PhoneNumber::parse(&n).expect("generated numbers are valid")
}

fn name(rng: &mut StdRng) -> PersonName {
    let family = ["陈", "李", "张", "王", "刘", "黄", "林", "周", "吴", "叶", "钟", "罗", "何", "梁"];
    let title = ["先生", "女士"];
    PersonName::parse(&format!("{}{}", pick(rng, &family), pick(rng, &title))).expect("valid name")
}

pub(crate) fn text(s: &str) -> Description {
    Description::parse(s).expect("demo texts are valid")
}

impl Requests {
    /// The templates' categories and the towns, from the seeded reference data.
    pub fn new(app: &App) -> SeedResult<Self> {
        let org = app.directory.snapshot();
        let mut towns: Vec<(UnitId, String, String)> =
            org.units().filter(|u| u.kind.is_territorial()).map(|u| (u.id, u.name.clone(), u.code.clone())).collect();
        towns.sort_by(|a, b| a.2.cmp(&b.2));
        let templates = TEMPLATES.iter().map(|t| category_by_path(app, t.category).map(|c| (c, t))).collect::<SeedResult<_>>()?;
        Ok(Self { templates, towns })
    }

    pub fn towns(&self) -> &[(UnitId, String, String)] {
        &self.towns
    }

    pub fn draw(&self, rng: &mut StdRng) -> Request {
        let (category, template) = *pick(rng, &self.templates);
        let (town, town_name, town_code) = pick(rng, &self.towns).clone();
        let place = format!("{town_name}{}", pick(rng, ROADS));
        let anonymous = rng.random_bool(0.05);
        let urgency = match rng.random_range(0..100) {
            0..2 => Urgency::Critical,
            2..10 => Urgency::Urgent,
            _ => Urgency::Normal,
        };
        let direct = !template.answer.is_empty()
            && match template.order_type {
                OrderType::Consultation => rng.random_bool(0.85),
                OrderType::Praise => rng.random_bool(0.7),
                _ => rng.random_bool(0.1),
            };
        let mut description = template.description.replace("{place}", &place);
        // About one caller in three adds something of their own.
        if rng.random_bool(0.35) {
            let detail: &&str = pick(rng, DETAILS);
            description.push_str(detail);
        }
        let input = NewWorkOrder {
            channel: match rng.random_range(0..100) {
                0..78 => Channel::Phone,
                78..88 => Channel::Web,
                88..95 => Channel::WeChat,
                95..97 => Channel::Sms,
                97..99 => Channel::Email,
                _ => Channel::WalkIn,
            },
            order_type: template.order_type,
            category,
            urgency: if template.order_type == OrderType::Consultation { Urgency::Normal } else { urgency },
            caller: Caller {
                name: (!anonymous).then(|| name(rng)),
                phone: Some(phone(rng)),
                anonymous,
                confidential: template.order_type == OrderType::Report || rng.random_bool(0.03),
                sms_opt_out: false,
            },
            location: Location {
                town: Some(town),
                address: Some(Subject::parse(&format!("{place}{}号", rng.random_range(1..300))).expect("valid address")),
                coordinates: None,
            },
            subject: Subject::parse(template.subject).expect("valid subject"),
            description: text(&description),
            call_id: None,
            direct_answer: direct.then(|| text(template.answer)),
            emergency: None,
            external_ref: None,
            media_url: None,
        };
        Request { input, template, town_code, direct }
    }
}

impl Requests {
    /// This morning's downpour ([`DOWNPOUR`]): eight reports of one flooded
    /// street in one town, each with its own caller, none answered at once.
    pub fn downpour(&self, app: &App, rng: &mut StdRng) -> SeedResult<Vec<NewWorkOrder>> {
        let (town, town_name, _) = pick(rng, &self.towns).clone();
        let road = *pick(rng, ROADS);
        let place = format!("{town_name}{road}");
        DOWNPOUR
            .iter()
            .map(|(category, subject, description)| {
                let mut input = self.draw(rng).input;
                input.category = category_by_path(app, category)?;
                input.order_type = OrderType::Report;
                input.urgency = Urgency::Normal;
                input.direct_answer = None;
                input.location.town = Some(town);
                input.location.address = Some(Subject::parse(&format!("{place}{}号", rng.random_range(1..300))).expect("valid address"));
                input.subject = Subject::parse(&subject.replace("{road}", road)).expect("valid subject");
                input.description = text(&description.replace("{place}", &place));
                Ok(input)
            })
            .collect()
    }

    /// The last hour's water cut ([`WATER_CUT`]): six reports from three
    /// towns, two each, none answered at once.
    pub fn water_cut(&self, app: &App, rng: &mut StdRng) -> SeedResult<Vec<NewWorkOrder>> {
        let category = category_by_path(app, "城乡建设/城市建设和市政管理/自来水供应")?;
        let mut towns = self.towns.clone();
        towns.shuffle(rng);
        Ok(WATER_CUT
            .iter()
            .enumerate()
            .map(|(i, (subject, description))| {
                let (town, town_name, _) = &towns[i % 3.min(towns.len())];
                let mut input = self.draw(rng).input;
                input.category = category;
                input.order_type = OrderType::Report;
                input.urgency = Urgency::Normal;
                input.direct_answer = None;
                input.location.town = Some(*town);
                input.location.address = None;
                input.location.coordinates = None;
                input.subject = Subject::parse(subject).expect("valid subject");
                input.description = text(&description.replace("{town}", town_name));
                input
            })
            .collect())
    }
}
