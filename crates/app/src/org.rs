//! The organisation: units, hotlines, categories, the dispatch catalogue and
//! user accounts. Reads are open to every logged-in user; changes need an
//! [`AdminDesk`].

use crate::access::AdminDesk;
use crate::audit::Auditor;
use crate::auth::{check_new_password, hash_password};
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::ports::{CatalogueRecord, HotlineRecord, OrgStore, UserRecord};
use hotline_domain::{
    Affiliation, CatalogueEntry, CatalogueTarget, Category, CategoryId, FieldError, IntegrationMode, RoleSet, Unit, UnitId, UnitKind,
    UserId, ValidationErrors,
};
use serde_json::json;
use std::sync::Arc;

pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<UnitId>,
}

#[derive(Default)]
pub struct UnitChanges {
    pub name: Option<String>,
    pub active: Option<bool>,
}

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub affiliation: Affiliation,
    pub roles: RoleSet,
}

#[derive(Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub roles: Option<RoleSet>,
    pub active: Option<bool>,
    pub password: Option<String>,
    /// The password the consultant's SIP phone registers with; empty: no phone.
    pub phone_password: Option<String>,
}

pub struct Organisation {
    pub(crate) store: Arc<dyn OrgStore>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) auditor: Arc<Auditor>,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sessions: Arc<crate::auth::SessionCache>,
    /// The realm phone secrets are derived in (`callcentre.phone_realm`).
    pub(crate) phone_realm: String,
    /// zxcvbn score (0–4) a new password needs.
    pub(crate) password_min_score: u8,
}

fn check_code(field: &str, code: &str, max: usize) -> Result<(), FieldError> {
    let ok =
        !code.is_empty() && code.len() <= max && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok { Ok(()) } else { Err(FieldError::new(field, format!("must be 1 to {max} characters of letters, digits, '-', '_' or '.'"))) }
}

fn check_name(field: &str, name: &str, max: usize) -> Result<String, FieldError> {
    hotline_domain::text::bounded(name, max, false).map_err(|e| FieldError::new(field, e.message))
}

impl Organisation {
    async fn reload(&self) -> AppResult<()> {
        self.directory.reload(self.store.as_ref()).await
    }

    pub fn units(&self) -> Vec<Unit> {
        let mut units: Vec<Unit> = self.directory.snapshot().units().cloned().collect();
        units.sort_by(|a, b| (a.kind as u8, &a.code).cmp(&(b.kind as u8, &b.code)));
        units
    }

    pub async fn create_unit(&self, admin: &AdminDesk, input: NewUnit) -> AppResult<Unit> {
        let org = self.directory.snapshot();
        let mut errors = ValidationErrors::default();
        errors.collect(check_code("code", &input.code, 32));
        let name = errors.collect(check_name("name", &input.name, 100));
        match (input.kind.is_sub_unit(), input.parent) {
            (true, None) => errors.push(FieldError::new("parent_id", "a section or community belongs under a unit")),
            (false, Some(_)) => errors.push(FieldError::new("parent_id", "departments, towns, subdistricts and parks have no parent unit")),
            (_, Some(p)) if org.unit(p).is_none() => errors.push(FieldError::new("parent_id", format!("no unit with id {p}"))),
            _ => {}
        }
        if org.unit_by_code(&input.code).is_some() {
            errors.push(FieldError::new("code", format!("a unit with code {} already exists", input.code)));
        }
        errors.into_result()?;
        if input.parent.is_none() && !admin.is_system_admin() {
            return Err(AppError::Forbidden("only a system administrator creates departments and towns".into()));
        }
        admin.check_unit(input.parent)?;
        let unit = Unit {
            id: UnitId(self.ids.next()),
            code: input.code,
            name: name.unwrap_or_default(),
            kind: input.kind,
            parent: input.parent,
            active: true,
        };
        let audit = self.auditor.record(
            admin.user(),
            "unit.create",
            format!("unit:{}", unit.code),
            json!({ "name": unit.name, "kind": unit.kind }),
        );
        self.store.insert_unit(&unit, &audit).await?;
        self.reload().await?;
        Ok(unit)
    }

    pub async fn update_unit(&self, admin: &AdminDesk, id: UnitId, changes: UnitChanges) -> AppResult<Unit> {
        let org = self.directory.snapshot();
        let mut unit = org.unit(id).cloned().ok_or_else(|| AppError::not_found(format!("unit {id} not found")))?;
        admin.check_unit(Some(id))?;
        if let Some(name) = changes.name {
            unit.name = check_name("name", &name, 100)?;
        }
        if let Some(active) = changes.active {
            unit.active = active;
        }
        let audit = self.auditor.record(
            admin.user(),
            "unit.update",
            format!("unit:{}", unit.code),
            json!({ "name": unit.name, "active": unit.active }),
        );
        self.store.update_unit(&unit, &audit).await?;
        self.reload().await?;
        Ok(unit)
    }

    pub fn hotlines(&self) -> Vec<HotlineRecord> {
        self.directory.snapshot().hotlines().to_vec()
    }

    pub async fn create_hotline(
        &self,
        admin: &AdminDesk,
        unit: UnitId,
        number: &str,
        name: &str,
        mode: IntegrationMode,
    ) -> AppResult<HotlineRecord> {
        let mut errors = ValidationErrors::default();
        if self.directory.snapshot().unit(unit).is_none() {
            errors.push(FieldError::new("unit_id", format!("no unit with id {unit}")));
        }
        if !(3..=20).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            errors.push(FieldError::new("number", "a hotline number is 3 to 20 digits, e.g. 12366"));
        }
        let name = errors.collect(check_name("name", name, 100));
        errors.into_result()?;
        if !admin.is_system_admin() {
            return Err(AppError::Forbidden("only a system administrator configures hotlines".into()));
        }
        let hotline = HotlineRecord { id: self.ids.next(), unit, number: number.to_owned(), name: name.unwrap_or_default(), mode };
        let audit = self.auditor.record(admin.user(), "hotline.create", format!("hotline:{number}"), json!({ "unit": unit, "mode": mode }));
        self.store.insert_hotline(&hotline, &audit).await?;
        self.reload().await?;
        Ok(hotline)
    }

    pub fn categories(&self) -> Vec<Category> {
        let mut all: Vec<Category> = self.directory.snapshot().categories().cloned().collect();
        all.sort_by_key(|c| c.id);
        all
    }

    pub async fn create_category(&self, admin: &AdminDesk, parent: Option<CategoryId>, name: &str) -> AppResult<Category> {
        let org = self.directory.snapshot();
        let name = check_name("name", name, 50)?;
        let level = match parent {
            None => 1,
            Some(p) => match org.category(p) {
                Some(c) if c.level < 3 => c.level + 1,
                Some(_) => return Err(AppError::invalid("parent_id", "the taxonomy has three levels; a level-3 category has no children")),
                None => return Err(AppError::invalid("parent_id", format!("no category with id {p}"))),
            },
        };
        if org.categories().any(|c| c.parent == parent && c.name == name) {
            return Err(AppError::Conflict { message: format!("category {name} already exists there"), current_version: None });
        }
        if !admin.is_system_admin() {
            return Err(AppError::Forbidden("only a system administrator edits the taxonomy".into()));
        }
        let category = Category { id: CategoryId(self.ids.next()), parent, level, name, active: true };
        let audit =
            self.auditor.record(admin.user(), "category.create", format!("category:{}", category.id), json!({ "name": category.name }));
        self.store.insert_categories(std::slice::from_ref(&category), &audit).await?;
        self.reload().await?;
        Ok(category)
    }

    /// Loads a taxonomy given as `[level1, level2, level3]` name rows; names
    /// already present under the same parent are kept. Returns how many
    /// categories were added.
    pub async fn import_taxonomy(&self, admin: &AdminDesk, rows: &[[String; 3]]) -> AppResult<usize> {
        if !admin.is_system_admin() {
            return Err(AppError::Forbidden("only a system administrator edits the taxonomy".into()));
        }
        let org = self.directory.snapshot();
        let mut known: std::collections::HashMap<(Option<CategoryId>, String), CategoryId> =
            org.categories().map(|c| ((c.parent, c.name.clone()), c.id)).collect();
        let mut new = Vec::new();
        for (line, row) in rows.iter().enumerate() {
            let mut parent = None;
            for (level, name) in row.iter().enumerate() {
                let name = check_name(&format!("rows[{line}][{level}]"), name, 50)?;
                let key = (parent, name.clone());
                let id = match known.get(&key) {
                    Some(id) => *id,
                    None => {
                        let id = CategoryId(self.ids.next());
                        new.push(Category { id, parent, level: level as u8 + 1, name, active: true });
                        known.insert(key, id);
                        id
                    }
                };
                parent = Some(id);
            }
        }
        if new.is_empty() {
            return Ok(0);
        }
        let audit = self.auditor.record(admin.user(), "category.import", "taxonomy", json!({ "added": new.len() }));
        self.store.insert_categories(&new, &audit).await?;
        self.reload().await?;
        Ok(new.len())
    }

    /// Adds catalogue entries that are not there yet; returns how many.
    pub async fn import_catalogue(&self, admin: &AdminDesk, entries: Vec<CatalogueEntry>) -> AppResult<usize> {
        if !admin.is_system_admin() {
            return Err(AppError::Forbidden("only a system administrator edits the dispatch catalogue".into()));
        }
        let org = self.directory.snapshot();
        let mut records: Vec<CatalogueRecord> = Vec::new();
        for entry in entries {
            let exists = org.catalogue().iter().any(|r| r.entry == entry) || records.iter().any(|r| r.entry == entry);
            if !exists {
                records.push(CatalogueRecord { id: self.ids.next(), entry });
            }
        }
        if records.is_empty() {
            return Ok(0);
        }
        let audit = self.auditor.record(admin.user(), "catalogue.import", "catalogue", json!({ "added": records.len() }));
        self.store.insert_catalogue(&records, &audit).await?;
        self.reload().await?;
        Ok(records.len())
    }

    pub fn catalogue(&self) -> Vec<CatalogueRecord> {
        self.directory.snapshot().catalogue().to_vec()
    }

    pub async fn add_catalogue_entry(&self, admin: &AdminDesk, entry: CatalogueEntry) -> AppResult<CatalogueRecord> {
        let org = self.directory.snapshot();
        let mut errors = ValidationErrors::default();
        if org.category(entry.category).is_none() {
            errors.push(FieldError::new("category_id", format!("no category with id {}", entry.category)));
        }
        if let CatalogueTarget::Unit(u) = entry.target
            && org.unit(u).is_none()
        {
            errors.push(FieldError::new("target.unit_id", format!("no unit with id {u}")));
        }
        errors.into_result()?;
        if !admin.is_system_admin() {
            return Err(AppError::Forbidden("only a system administrator edits the dispatch catalogue".into()));
        }
        if org.catalogue().iter().any(|r| r.entry == entry) {
            return Err(AppError::Conflict { message: "this catalogue entry already exists".into(), current_version: None });
        }
        let record = CatalogueRecord { id: self.ids.next(), entry };
        let audit = self.auditor.record(admin.user(), "catalogue.add", format!("catalogue:{}", record.id), json!(record));
        self.store.insert_catalogue(std::slice::from_ref(&record), &audit).await?;
        self.reload().await?;
        Ok(record)
    }

    pub async fn delete_catalogue_entry(&self, admin: &AdminDesk, id: i64) -> AppResult<()> {
        if !admin.is_system_admin() {
            return Err(AppError::Forbidden("only a system administrator edits the dispatch catalogue".into()));
        }
        let audit = self.auditor.record(admin.user(), "catalogue.delete", format!("catalogue:{id}"), json!({}));
        self.store.delete_catalogue(id, &audit).await?;
        self.reload().await
    }

    /// Users an admin may see: all, or those of their units.
    pub async fn users(&self, admin: &AdminDesk) -> AppResult<Vec<UserRecord>> {
        let users = self.store.users().await?;
        Ok(users.into_iter().filter(|u| admin.check_unit(u.affiliation.unit()).is_ok()).collect())
    }

    pub async fn create_user(&self, admin: &AdminDesk, input: NewUser) -> AppResult<UserRecord> {
        let mut errors = ValidationErrors::default();
        errors.collect(check_code("username", &input.username, 64));
        let display_name = errors.collect(check_name("display_name", &input.display_name, 50));
        errors.collect(check_new_password(&input.password, self.password_min_score, &[&input.username, &input.display_name]));
        errors.collect(input.roles.check_for(input.affiliation));
        if let Affiliation::Unit(u) = input.affiliation
            && self.directory.snapshot().unit(u).is_none()
        {
            errors.push(FieldError::new("unit_id", format!("no unit with id {u}")));
        }
        errors.into_result()?;
        admin.check_unit(input.affiliation.unit())?;
        let password = input.password;
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| AppError::Unavailable(format!("password hashing failed: {e}")))??;
        self.insert_user(admin, input.username, display_name.unwrap_or_default(), password_hash, input.affiliation, input.roles).await
    }

    /// Inserts a user whose password is already hashed (demo seeding hashes
    /// the shared demo password once).
    pub async fn insert_user(
        &self,
        admin: &AdminDesk,
        username: String,
        display_name: String,
        password_hash: String,
        affiliation: Affiliation,
        roles: RoleSet,
    ) -> AppResult<UserRecord> {
        let user = UserRecord {
            id: UserId(self.ids.next()),
            username,
            display_name,
            password_hash,
            affiliation,
            roles,
            active: true,
            created_at: self.clock.now(),
            phone_secret: None,
        };
        let audit = self.auditor.record(
            admin.user(),
            "user.create",
            format!("user:{}", user.username),
            json!({ "roles": user.roles, "affiliation": user.affiliation }),
        );
        self.store.insert_user(&user, &audit).await?;
        Ok(user)
    }

    pub async fn update_user(&self, admin: &AdminDesk, id: UserId, changes: UserChanges) -> AppResult<UserRecord> {
        let mut user = self.store.user(id).await?.ok_or_else(|| AppError::not_found(format!("user {id} not found")))?;
        admin.check_unit(user.affiliation.unit())?;
        if user.password_hash == crate::auth::SERVICE_ACCOUNT_HASH {
            // Given a password the portal's would be a dispatcher anyone
            // could become, an external system's a handler nobody answers for.
            return Err(AppError::Forbidden(format!("{} is a service account: it cannot be changed or logged in to", user.username)));
        }
        let mut errors = ValidationErrors::default();
        if let Some(name) = changes.display_name
            && let Some(n) = errors.collect(check_name("display_name", &name, 50))
        {
            user.display_name = n;
        }
        let mut roles_changed = false;
        if let Some(roles) = changes.roles
            && errors.collect(roles.check_for(user.affiliation)).is_some()
        {
            roles_changed = roles != user.roles;
            user.roles = roles;
        }
        if let Some(password) = &changes.password {
            errors.collect(check_new_password(password, self.password_min_score, &[&user.username, &user.display_name]));
        }
        let phone_changed = changes.phone_password.is_some();
        match changes.phone_password.as_deref() {
            Some("") => user.phone_secret = None,
            Some(password) => {
                let checked = check_new_password(password, self.password_min_score, &[&user.username, &user.display_name])
                    .map_err(|e| FieldError::new("phone_password", e.message));
                if errors.collect(checked).is_some() {
                    if !user.roles.contains_any(&crate::calls::PHONE_ROLES) {
                        errors.push(FieldError::new(
                            "phone_password",
                            "only consultants (answering calls) and supervisors (listening in) have phones",
                        ));
                    }
                    user.phone_secret = Some(crate::calls::phone_secret(&user.username, &self.phone_realm, password));
                }
            }
            None => {}
        }
        errors.into_result()?;
        if let Some(active) = changes.active {
            user.active = active;
        }
        let password_changed = changes.password.is_some();
        if let Some(password) = changes.password {
            user.password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|e| AppError::Unavailable(format!("password hashing failed: {e}")))??;
        }
        let audit = self.auditor.record(
            admin.user(),
            "user.update",
            format!("user:{}", user.username),
            json!({ "roles": user.roles, "active": user.active, "password_changed": password_changed, "phone_changed": phone_changed }),
        );
        // A new password, other roles or a disabled account: whoever held a
        // session before (perhaps the one the password was changed against)
        // logs in again.
        let end_sessions = password_changed || roles_changed || !user.active;
        self.store.update_user(&user, end_sessions, &audit).await?;
        self.sessions.clear();
        Ok(user)
    }

    /// Gives a consultant's phone a password without the strength check:
    /// only for demonstration data, whose phones all use `demo`.
    pub async fn set_demo_phone_password(&self, admin: &AdminDesk, id: UserId, password: &str) -> AppResult<()> {
        let mut user = self.store.user(id).await?.ok_or_else(|| AppError::not_found(format!("user {id} not found")))?;
        admin.check_unit(user.affiliation.unit())?;
        user.phone_secret = Some(crate::calls::phone_secret(&user.username, &self.phone_realm, password));
        let audit = self.auditor.record(admin.user(), "user.update", format!("user:{}", user.username), json!({ "phone_changed": true }));
        self.store.update_user(&user, false, &audit).await?;
        Ok(())
    }
}
