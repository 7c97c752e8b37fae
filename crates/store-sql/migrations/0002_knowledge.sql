-- The knowledge base: articles with their versions, the search vocabulary,
-- search statistics and links from work orders to the articles that
-- answered them. Same conventions as 0001: instants in microseconds since
-- the epoch, dates as ISO text, structured values as JSON text.

CREATE TABLE kb_articles (
    id BIGINT PRIMARY KEY,
    -- The newest version's owner, title, category and visibility, for lists.
    owner_unit_id BIGINT,
    title TEXT NOT NULL,
    category_id BIGINT,
    visibility TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    live_version BIGINT,
    -- The live version's last day (YYYY-MM-DD), to flag expired articles.
    live_expires_on TEXT,
    publish_at BIGINT,
    review_note TEXT,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE INDEX kb_articles_owner_title ON kb_articles (owner_unit_id, title);
CREATE INDEX kb_articles_changed ON kb_articles (updated_at, id);
CREATE INDEX kb_articles_scheduled ON kb_articles (publish_at) WHERE status = 'scheduled';

CREATE TABLE kb_article_versions (
    article_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    -- The whole content of this version as JSON.
    content TEXT NOT NULL,
    edited_by BIGINT,
    edited_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, version)
);

-- Words the segmenter keeps whole (自定义词典).
CREATE TABLE kb_terms (
    term TEXT PRIMARY KEY
);

-- Words that mean the same (同义词): a JSON array per set.
CREATE TABLE kb_synonyms (
    id BIGINT PRIMARY KEY,
    words TEXT NOT NULL
);

-- Searches made and articles opened, for the hot-topics ranking.
CREATE TABLE kb_events (
    at BIGINT NOT NULL,
    audience TEXT NOT NULL,
    query TEXT NOT NULL,
    topic TEXT NOT NULL,
    article_id BIGINT,
    results BIGINT NOT NULL
);
CREATE INDEX kb_events_at ON kb_events (at);

-- Articles that answered a work order.
CREATE TABLE kb_order_links (
    order_id BIGINT NOT NULL,
    article_id BIGINT NOT NULL,
    linked_by BIGINT NOT NULL,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, article_id)
);
CREATE INDEX kb_order_links_at ON kb_order_links (linked_at);

-- The search index follows work orders by (updated_at, id).
CREATE INDEX work_orders_changed ON work_orders (updated_at, id);
