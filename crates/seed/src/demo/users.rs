//! Demo accounts. All share the demo password.

use crate::SeedResult;
use hotline_app::App;
use hotline_app::access::AdminDesk;
use hotline_app::auth::hash_password;
use hotline_domain::{Affiliation, Role, RoleSet, UnitId, UserId};
use std::collections::HashMap;

/// A documented demo account.
pub struct DemoUser {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    /// Unit code; `None` for the centre.
    pub unit: Option<&'static str>,
}

pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser { username: "consultant", display_name: "张丽（话务员）", role: Role::Consultant, unit: None },
    DemoUser { username: "trainee", display_name: "刘洋（新话务员）", role: Role::Consultant, unit: None },
    DemoUser { username: "dispatcher", display_name: "王强（派单员）", role: Role::Dispatcher, unit: None },
    DemoUser { username: "reviewer", display_name: "李娜（审核员）", role: Role::Reviewer, unit: None },
    DemoUser { username: "supervisor", display_name: "赵敏（监察员）", role: Role::Supervisor, unit: None },
    DemoUser { username: "auditor", display_name: "孙伟（审计员）", role: Role::Auditor, unit: None },
    DemoUser { username: "admin", display_name: "周杰（系统管理员）", role: Role::SystemAdmin, unit: None },
    DemoUser { username: "dongcheng", display_name: "陈晓（东城街道承办人）", role: Role::Handler, unit: Some("441900003") },
    DemoUser {
        username: "dongcheng_admin", display_name: "林峰（东城街道单位管理员）", role: Role::UnitAdmin, unit: Some("441900003")
    },
    DemoUser {
        username: "zhushan", display_name: "黄敏（主山社区承办人）", role: Role::Handler, unit: Some("441900003-zhushan")
    },
    DemoUser { username: "hrss", display_name: "吴刚（市人社局承办人）", role: Role::Handler, unit: Some("hrss") },
];

/// Who acts in the generated histories.
pub(crate) struct People {
    pub consultant: UserId,
    /// A new consultant, learning from `consultant` (老带新).
    pub trainee: UserId,
    pub dispatcher: UserId,
    pub reviewer: UserId,
    pub supervisor: UserId,
    /// A handler for every unit.
    pub handlers: HashMap<UnitId, UserId>,
    pub count: usize,
}

pub(crate) async fn create(app: &App, password: &str) -> SeedResult<People> {
    let admin = AdminDesk::operator();
    // Consultants' and supervisors' SIP phones register with the same demo password.
    let phone_password = password.to_owned();
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| crate::SeedError::Inconsistent(format!("hashing the demo password: {e}")))??;
    let org = app.directory.snapshot();
    let mut named: HashMap<&str, UserId> = HashMap::new();
    let mut handlers = HashMap::new();
    let mut count = 0;
    for u in DEMO_USERS {
        let affiliation = match u.unit {
            None => Affiliation::Centre,
            Some(code) => Affiliation::Unit(
                org.unit_by_code(code).ok_or_else(|| crate::SeedError::Inconsistent(format!("demo user's unit {code} is missing")))?.id,
            ),
        };
        let user = app
            .org
            .insert_user(&admin, u.username.into(), u.display_name.into(), hash.clone(), affiliation, RoleSet::new([u.role]))
            .await?;
        if let (Affiliation::Unit(unit), Role::Handler) = (affiliation, u.role) {
            handlers.entry(unit).or_insert(user.id);
        }
        if hotline_app::calls::PHONE_ROLES.contains(&u.role) {
            app.org.set_demo_phone_password(&admin, user.id, &phone_password).await?;
        }
        named.insert(u.username, user.id);
        count += 1;
    }
    // Every unit gets a handler, `handler_<code>`, so any order can be worked on.
    let mut units: Vec<_> = org.units().cloned().collect();
    units.sort_by(|a, b| a.code.cmp(&b.code));
    for unit in units {
        let user = app
            .org
            .insert_user(
                &admin,
                format!("handler_{}", unit.code),
                format!("{}承办人", unit.name),
                hash.clone(),
                Affiliation::Unit(unit.id),
                RoleSet::new([Role::Handler]),
            )
            .await?;
        handlers.entry(unit.id).or_insert(user.id);
        count += 1;
    }
    Ok(People {
        consultant: named["consultant"],
        trainee: named["trainee"],
        dispatcher: named["dispatcher"],
        reviewer: named["reviewer"],
        supervisor: named["supervisor"],
        handlers,
        count,
    })
}
