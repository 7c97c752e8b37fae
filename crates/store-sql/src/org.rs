//! Units, hotlines, categories, the dispatch catalogue, users and sessions.

use crate::codec::{Get, flag, micros, word};
use crate::sql::{Val, insert_audit, touched};
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::ports::{AuditRecord, CatalogueRecord, HotlineRecord, OrgStore, SessionRecord, StoreError, StoreResult, UserRecord};
use hotline_domain::{
    Affiliation, CatalogueEntry, CatalogueTarget, Category, CategoryId, IntegrationMode, RoleSet, Unit, UnitId, UnitKind, UserId,
};
use sqlx::any::AnyRow;

fn parse_unit(row: &AnyRow) -> StoreResult<Unit> {
    Ok(Unit {
        id: UnitId(row.int("id")?),
        code: row.text("code")?,
        name: row.text("name")?,
        kind: word("kind", &row.text("kind")?, UnitKind::parse)?,
        parent: row.opt_int("parent_id")?.map(UnitId),
        active: row.flag("active")?,
    })
}

fn parse_user(row: &AnyRow) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: UserId(row.int("id")?),
        username: row.text("username")?,
        display_name: row.text("display_name")?,
        password_hash: row.text("password_hash")?,
        affiliation: match row.opt_int("unit_id")? {
            Some(u) => Affiliation::Unit(UnitId(u)),
            None => Affiliation::Centre,
        },
        roles: word("roles", &row.text("roles")?, RoleSet::parse_list)?,
        active: row.flag("active")?,
        created_at: row.at("created_at")?,
        phone_secret: row.opt_text("phone_ha1")?,
    })
}

#[async_trait]
impl OrgStore for SqlStore {
    async fn units(&self) -> StoreResult<Vec<Unit>> {
        sqlx::query("SELECT * FROM units ORDER BY id").fetch_all(&self.read).await.or_backend()?.iter().map(parse_unit).collect()
    }

    async fn insert_unit(&self, unit: &Unit, audit: &AuditRecord) -> StoreResult<()> {
        let row = vec![
            Val::from(unit.id.0),
            unit.code.as_str().into(),
            unit.name.as_str().into(),
            unit.kind.as_str().into(),
            unit.parent.map(|p| p.0).into(),
            flag(unit.active).into(),
        ];
        self.audited_insert("units (id, code, name, kind, parent_id, active)", 6, vec![row], audit).await
    }

    async fn update_unit(&self, unit: &Unit, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        let rows = sqlx::query("UPDATE units SET name = $1, active = $2 WHERE id = $3")
            .bind(unit.name.as_str())
            .bind(flag(unit.active))
            .bind(unit.id.0)
            .execute(&mut *tx)
            .await
            .or_backend()?
            .rows_affected();
        touched(rows, format!("unit {}", unit.id))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn hotlines(&self) -> StoreResult<Vec<HotlineRecord>> {
        sqlx::query("SELECT * FROM hotlines ORDER BY number")
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| {
                Ok(HotlineRecord {
                    id: row.int("id")?,
                    unit: UnitId(row.int("unit_id")?),
                    number: row.text("number")?,
                    name: row.text("name")?,
                    mode: word("mode", &row.text("mode")?, IntegrationMode::parse)?,
                })
            })
            .collect()
    }

    async fn insert_hotline(&self, hotline: &HotlineRecord, audit: &AuditRecord) -> StoreResult<()> {
        let row = vec![
            Val::from(hotline.id),
            hotline.unit.0.into(),
            hotline.number.as_str().into(),
            hotline.name.as_str().into(),
            hotline.mode.as_str().into(),
        ];
        self.audited_insert("hotlines (id, unit_id, number, name, mode)", 5, vec![row], audit).await
    }

    async fn categories(&self) -> StoreResult<Vec<Category>> {
        sqlx::query("SELECT * FROM categories ORDER BY id")
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| {
                Ok(Category {
                    id: CategoryId(row.int("id")?),
                    parent: row.opt_int("parent_id")?.map(CategoryId),
                    level: row.int("level")? as u8,
                    name: row.text("name")?,
                    active: row.flag("active")?,
                })
            })
            .collect()
    }

    async fn insert_categories(&self, categories: &[Category], audit: &AuditRecord) -> StoreResult<()> {
        let rows = categories
            .iter()
            .map(|c| {
                vec![
                    Val::from(c.id.0),
                    c.parent.map(|p| p.0).into(),
                    i64::from(c.level).into(),
                    c.name.as_str().into(),
                    flag(c.active).into(),
                ]
            })
            .collect();
        self.audited_insert("categories (id, parent_id, level, name, active)", 5, rows, audit).await
    }

    async fn catalogue(&self) -> StoreResult<Vec<CatalogueRecord>> {
        sqlx::query("SELECT * FROM dispatch_catalogue ORDER BY id")
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| {
                let target = match (row.flag("territorial")?, row.opt_int("unit_id")?) {
                    (true, _) => CatalogueTarget::Territorial,
                    (false, Some(u)) => CatalogueTarget::Unit(UnitId(u)),
                    (false, None) => return Err(StoreError::Backend("catalogue entry without a unit".into())),
                };
                Ok(CatalogueRecord {
                    id: row.int("id")?,
                    entry: CatalogueEntry { category: CategoryId(row.int("category_id")?), target, co_handler: row.flag("co_handler")? },
                })
            })
            .collect()
    }

    async fn insert_catalogue(&self, entries: &[CatalogueRecord], audit: &AuditRecord) -> StoreResult<()> {
        let rows = entries
            .iter()
            .map(|r| {
                let (unit, territorial) = match r.entry.target {
                    CatalogueTarget::Unit(u) => (Some(u.0), false),
                    CatalogueTarget::Territorial => (None, true),
                };
                vec![Val::from(r.id), r.entry.category.0.into(), unit.into(), flag(territorial).into(), flag(r.entry.co_handler).into()]
            })
            .collect();
        self.audited_insert("dispatch_catalogue (id, category_id, unit_id, territorial, co_handler)", 5, rows, audit).await
    }

    async fn delete_catalogue(&self, id: i64, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        let rows =
            sqlx::query("DELETE FROM dispatch_catalogue WHERE id = $1").bind(id).execute(&mut *tx).await.or_backend()?.rows_affected();
        touched(rows, format!("catalogue entry {id}"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn users(&self) -> StoreResult<Vec<UserRecord>> {
        sqlx::query("SELECT * FROM users ORDER BY username").fetch_all(&self.read).await.or_backend()?.iter().map(parse_user).collect()
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .or_backend()?
            .as_ref()
            .map(parse_user)
            .transpose()
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.read)
            .await
            .or_backend()?
            .as_ref()
            .map(parse_user)
            .transpose()
    }

    async fn insert_user(&self, user: &UserRecord, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        insert_user_row(&mut tx, user).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn update_user(&self, user: &UserRecord, end_sessions: bool, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        let rows =
            sqlx::query("UPDATE users SET display_name = $1, password_hash = $2, roles = $3, active = $4, phone_ha1 = $5 WHERE id = $6")
                .bind(user.display_name.as_str())
                .bind(user.password_hash.as_str())
                .bind(user.roles.to_list())
                .bind(flag(user.active))
                .bind(user.phone_secret.as_deref())
                .bind(user.id.0)
                .execute(&mut *tx)
                .await
                .or_backend()?
                .rows_affected();
        touched(rows, format!("user {}", user.id))?;
        if end_sessions || !user.active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.id.0).execute(&mut *tx).await.or_backend()?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        // Expired sessions are swept by whoever logs in next.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(micros(session.created_at)).execute(&mut *tx).await.or_backend()?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(session.token_hash.as_str())
            .bind(session.user.0)
            .bind(micros(session.created_at))
            .bind(micros(session.expires_at))
            .execute(&mut *tx)
            .await
            .or_backend()?;
        tx.commit().await.or_backend()
    }

    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<UserRecord>> {
        sqlx::query("SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2")
            .bind(token_hash)
            .bind(micros(now))
            .fetch_optional(&self.read)
            .await
            .or_backend()?
            .as_ref()
            .map(parse_user)
            .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.write).await.or_backend()?;
        Ok(())
    }
}

/// `Duplicate` when the username is taken.
pub(crate) async fn insert_user_row(conn: &mut sqlx::AnyConnection, user: &UserRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO users (id, username, display_name, password_hash, unit_id, roles, active, created_at, phone_ha1) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(user.id.0)
    .bind(user.username.as_str())
    .bind(user.display_name.as_str())
    .bind(user.password_hash.as_str())
    .bind(user.affiliation.unit().map(|u| u.0))
    .bind(user.roles.to_list())
    .bind(flag(user.active))
    .bind(micros(user.created_at))
    .bind(user.phone_secret.as_deref())
    .execute(&mut *conn)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(format!("user {}", user.username)),
        other => StoreError::Backend(other.to_string()),
    })?;
    Ok(())
}
