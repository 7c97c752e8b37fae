-- The knowledge search learns from answered orders (issue 18): an order a
-- consultant linked to an article brings its citizens' words into the
-- article's index document. The index follows `changed_at`, which an edit
-- sets to `updated_at` and a new link moves on (`updated_at` stays the
-- editors' "last edited").
ALTER TABLE kb_articles ADD COLUMN changed_at BIGINT NOT NULL DEFAULT 0;
UPDATE kb_articles SET changed_at = updated_at;
DROP INDEX kb_articles_changed;
CREATE INDEX kb_articles_follow ON kb_articles (changed_at, id);

-- The newest orders each article answered.
CREATE INDEX kb_order_links_article ON kb_order_links (article_id, linked_at);

-- Synonym proposals an editor turned down: not proposed again.
CREATE TABLE kb_synonym_dismissals (
    word TEXT NOT NULL,
    partner TEXT NOT NULL,
    dismissed_by BIGINT NOT NULL,
    dismissed_at BIGINT NOT NULL,
    PRIMARY KEY (word, partner)
);
