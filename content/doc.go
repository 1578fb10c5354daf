// Package content is Byline's domain: articles and their sections, tags and
// authors, and the rules that belong to them (slugs, breadcrumbs, reading
// time, sanitised bodies, related stories, editor keys). It imports nothing
// of Byline's own; storage, caching and transport adapters import it.
package content
