//! Demo knowledge base: the articles of data/knowledge/articles.csv,
//! published, and links from demo orders to the article a consultant would
//! have found for them (the search engine's best hit for the subject), so
//! the hot-topics feed has something to show.

use crate::{SeedError, SeedResult};
use hotline_app::App;
use hotline_app::access::AdminDesk;
use hotline_app::knowledge::index::ArticleQuery;
use hotline_app::knowledge::transfer::{ArticleRow, check_header};
use hotline_app::ports::{OrderFilter, PageRequest, StoreScope};
use hotline_domain::Role;

/// Orders linked to the article that answers them.
const LINKED_ORDERS: u32 = 2_000;

pub async fn seed(app: &App) -> SeedResult<usize> {
    let table =
        hotline_tabular::parse_csv(hotline_reference_data::DEMO_ARTICLES_CSV).map_err(|e| SeedError::Inconsistent(e.to_string()))?;
    check_header(&table.header).map_err(SeedError::Inconsistent)?;
    let rows: Vec<ArticleRow> =
        table.rows.into_iter().map(|(line, cells)| ArticleRow { line, cells: table.header.iter().cloned().zip(cells).collect() }).collect();
    let report = app.knowledge.import(&AdminDesk::operator(), &rows, true, |_, _| {}).await?;
    if let Some(bad) = report.rejected.first() {
        return Err(SeedError::Inconsistent(format!("demo article on line {} rejected: {}", bad.line, bad.reason)));
    }
    app.search.refresh().await?;
    let consultant = app.store.users().await.map_err(hotline_app::AppError::from)?.into_iter().find(|u| u.roles.contains(Role::Consultant));
    if let Some(consultant) = consultant {
        let orders = app
            .store
            .list_orders(&StoreScope::All, &OrderFilter::default(), PageRequest { before: None, limit: LINKED_ORDERS })
            .await
            .map_err(hotline_app::AppError::from)?;
        let engine = app.search.engine();
        for order in orders {
            let query = ArticleQuery {
                text: order.subject.clone(),
                department: None,
                category: None,
                town: None,
                visibility: None,
                today: app.search.today(),
                limit: 1,
                min_coverage: 0.0,
            };
            if let Some(hit) = engine.search_articles(&query).ok().and_then(|h| h.into_iter().next())
                && hit.score > 5.0
            {
                app.store.link_article(order.id, hit.id, consultant.id, order.created_at).await.map_err(hotline_app::AppError::from)?;
            }
        }
    }
    Ok(report.created + report.updated)
}
