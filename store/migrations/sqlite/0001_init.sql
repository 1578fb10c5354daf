CREATE TABLE sections (slug TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE tags (slug TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE authors (slug TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE articles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  slug TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  body_format TEXT NOT NULL DEFAULT 'MARKDOWN',
  body TEXT NOT NULL DEFAULT '',
  section_slug TEXT NOT NULL REFERENCES sections(slug),
  image_url TEXT,
  image_alt TEXT NOT NULL DEFAULT '',
  image_width INTEGER NOT NULL DEFAULT 0,
  image_height INTEGER NOT NULL DEFAULT 0,
  published_ms INTEGER,
  updated_ms INTEGER NOT NULL,
  reading_minutes INTEGER NOT NULL DEFAULT 1,
  sample BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX articles_published ON articles (published_ms DESC, id DESC);
CREATE INDEX articles_section ON articles (section_slug, published_ms DESC, id DESC);
CREATE TABLE article_tags (
  article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  tag_slug TEXT NOT NULL REFERENCES tags(slug),
  position INTEGER NOT NULL,
  PRIMARY KEY (article_id, tag_slug)
);
CREATE INDEX article_tags_tag ON article_tags (tag_slug, article_id);
CREATE TABLE article_authors (
  article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  author_slug TEXT NOT NULL REFERENCES authors(slug),
  position INTEGER NOT NULL,
  PRIMARY KEY (article_id, author_slug)
);
CREATE TABLE article_related (
  article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  related_slug TEXT NOT NULL,
  PRIMARY KEY (article_id, position)
);
CREATE TABLE editor_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  secret_hash BLOB NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE VIRTUAL TABLE articles_fts USING fts5(title, summary, body, tokenize = 'unicode61 remove_diacritics 2');
