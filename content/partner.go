package content

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Partner is a site that embeds the newsletter widget.
type Partner struct {
	ID      string
	Name    string
	Origins []string // allowed browser origins, scheme://host[:port]
	Locale  string   // the default locale
	Theme   Theme
	Copy    map[string]Copy // per locale; missing fields fall back to the defaults
	// IncentiveURL is what a reader gets for confirming, linked from the
	// confirmation page and the welcome email: an http(s) URL, or the path
	// of a file the gateway serves (FilesPath + name), which is linked
	// signed and expiring. IncentiveTitle is the link's text.
	IncentiveURL   string
	IncentiveTitle string
	// ReplyTo is where replies to the partner's emails go; "" for none.
	ReplyTo string
}

// Theme colours the widget.
type Theme struct {
	Accent, Background, Text string
}

// Copy is what the widget says.
type Copy struct {
	Headline, Body, ButtonLabel, ConsentText string
}

// WidgetStrings are the widget's own messages, per locale.
type WidgetStrings struct {
	EmailLabel, EmailPlaceholder, Sending, Success, InvalidEmail, ConsentRequired, Failed string
}

// WidgetConfig is everything one widget needs to render and submit.
type WidgetConfig struct {
	Partner     string
	Locale      string
	Headline    string
	Body        string
	ButtonLabel string
	ConsentText string
	Theme       Theme
	Strings     WidgetStrings
	FormToken   string
}

// Locales the widget speaks.
var Locales = []string{"en", "mn"}

var defaultCopy = map[string]Copy{
	"en": {
		Headline:    "Stay connected with Mongolia Inc",
		Body:        "Get free access to exclusive Mongolia mining industry reports",
		ButtonLabel: "Subscribe",
		ConsentText: "I agree to receive emails from Mongolia Inc. I can unsubscribe at any time.",
	},
	"mn": {
		Headline:    "Mongolia Inc-тэй холбоотой байгаарай",
		Body:        "Монголын уул уурхайн салбарын онцгой тайлангуудыг үнэгүй аваарай",
		ButtonLabel: "Бүртгүүлэх",
		ConsentText: "Mongolia Inc-ээс имэйл хүлээн авахыг зөвшөөрч байна. Хүссэн үедээ цуцлах боломжтой.",
	},
}

var defaultStrings = map[string]WidgetStrings{
	"en": {
		EmailLabel: "Email address", EmailPlaceholder: "name@example.com", Sending: "Sending…",
		Success:         "Almost done: check your inbox and confirm your subscription.",
		InvalidEmail:    "Please enter an email address like name@example.com.",
		ConsentRequired: "Please tick the box to agree to receive our emails.",
		Failed:          "Sorry, that did not work. Please try again in a moment.",
	},
	"mn": {
		EmailLabel: "Имэйл хаяг", EmailPlaceholder: "name@example.com", Sending: "Илгээж байна…",
		Success:         "Бараг боллоо: имэйлээ шалгаж бүртгэлээ баталгаажуулна уу.",
		InvalidEmail:    "name@example.com хэлбэрийн имэйл хаяг оруулна уу.",
		ConsentRequired: "Имэйл хүлээн авахыг зөвшөөрч тэмдэглэнэ үү.",
		Failed:          "Уучлаарай, амжилтгүй боллоо. Хэсэг хугацааны дараа дахин оролдоно уу.",
	},
}

var defaultTheme = Theme{Accent: "#b4232a", Background: "#f6f4ef", Text: "#1b1b1b"}

// DemoPartnerID is the partner every new installation has.
const DemoPartnerID = "demo"

// pickLocale matches a requested locale ("mn-MN", "en-US,en;q=0.9") against
// the supported ones, falling back to def, then English.
func pickLocale(requested, def string) string {
	for _, part := range strings.Split(requested, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		for _, l := range Locales {
			if base == l {
				return l
			}
		}
	}
	for _, l := range Locales {
		if def == l {
			return l
		}
	}
	return "en"
}

// copyFor is the partner's copy in locale, defaults filling the gaps.
func (p *Partner) copyFor(locale string) Copy {
	c := defaultCopy[locale]
	o := p.Copy[locale]
	for dst, src := range map[*string]string{&c.Headline: o.Headline, &c.Body: o.Body, &c.ButtonLabel: o.ButtonLabel, &c.ConsentText: o.ConsentText} {
		if src != "" {
			*dst = src
		}
	}
	return c
}

func (p *Partner) theme() Theme {
	t := defaultTheme
	if p.Theme.Accent != "" {
		t.Accent = p.Theme.Accent
	}
	if p.Theme.Background != "" {
		t.Background = p.Theme.Background
	}
	if p.Theme.Text != "" {
		t.Text = p.Theme.Text
	}
	return t
}

var themeColour = func(s string) bool {
	if s == "" {
		return true
	}
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, r := range s[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// SavePartner adds a partner or updates an existing one's name, origins,
// locale, theme, copy, incentive and reply address.
func (s *Service) SavePartner(ctx context.Context, p Partner) error {
	if !ValidSlug(p.ID) || len(p.ID) > 64 {
		return Invalid("id", "must be a slug such as demo or mining-weekly")
	}
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 100 {
		return Invalid("name", "must be 1 to 100 characters")
	}
	if hasControl(p.Name) {
		// The name is an email subject and a page heading: a line break
		// there is a header injection, a bidi override a spoof.
		return Invalid("name", "must not contain control characters (line breaks, tabs, bidi overrides)")
	}
	if len(p.Origins) > 50 {
		return Invalid("origins", "at most 50")
	}
	for i, o := range p.Origins {
		n, err := NormaliseOrigin(o)
		if err != nil {
			return err
		}
		p.Origins[i] = n
	}
	p.Locale = pickLocale(p.Locale, "en")
	if err := s.checkIncentive(&p); err != nil {
		return err
	}
	if p.ReplyTo = strings.TrimSpace(p.ReplyTo); p.ReplyTo != "" {
		a, err := mail.ParseAddress(p.ReplyTo)
		if err != nil || a.Address != p.ReplyTo || hasControl(p.ReplyTo) || len(p.ReplyTo) > maxEmail {
			return Invalid("reply-to", "%q is not an address like news@example.com", p.ReplyTo)
		}
	}
	if !themeColour(p.Theme.Accent) || !themeColour(p.Theme.Background) || !themeColour(p.Theme.Text) {
		return Invalid("theme", "colours are #rrggbb")
	}
	if err := s.store.Partners.SavePartner(ctx, p); err != nil {
		return fmt.Errorf("content: save partner %q: %w", p.ID, err)
	}
	s.partners.forget()
	return nil
}

// Partners lists the partners.
func (s *Service) Partners(ctx context.Context) ([]Partner, error) {
	return s.store.Partners.Partners(ctx)
}

// EnsureDemoPartner creates the demo partner on a new installation.
func (s *Service) EnsureDemoPartner(ctx context.Context) error {
	_, err := s.store.Partners.Partner(ctx, DemoPartnerID)
	if !IsNotFound(err) {
		return err
	}
	origin, _ := NormaliseOrigin(s.cfg.PublicURL)
	return s.SavePartner(ctx, Partner{
		ID: DemoPartnerID, Name: "Mongolia Inc (demo)", Origins: []string{origin}, Locale: "en",
		IncentiveURL: FilesPath + DemoIncentiveFile, IncentiveTitle: "Mongolia mining industry report (sample)",
	})
}

// DemoIncentiveFile is the sample report the demo partner offers, a file
// the gateway serves.
const DemoIncentiveFile = "mongolia-mining-report.html"

// checkIncentive checks and normalises p's incentive: a file of the
// gateway's, given by path or by its full URL on the gateway, is kept as
// its path, so that a new --public-url keeps it working.
func (s *Service) checkIncentive(p *Partner) error {
	p.IncentiveURL, p.IncentiveTitle = strings.TrimSpace(p.IncentiveURL), strings.TrimSpace(p.IncentiveTitle)
	if p.IncentiveURL == "" {
		p.IncentiveTitle = ""
		return nil
	}
	raw := p.IncentiveURL
	if own := strings.TrimRight(s.cfg.PublicURL, "/") + FilesPath; strings.HasPrefix(raw, own) {
		raw = FilesPath + strings.TrimPrefix(raw, own)
	}
	if name, ok := incentiveFile(raw); ok || strings.HasPrefix(raw, "/") {
		if !ok || !ValidFileName(name) {
			return Invalid("incentive-url", "%q: a file of the gateway's is %sNAME, NAME of letters, digits, dots, dashes and underscores", raw, FilesPath)
		}
	} else {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || len(raw) > 2000 || hasControl(raw) {
			return Invalid("incentive-url", "%q is not an http(s) URL or a path %sNAME", raw, FilesPath)
		}
	}
	p.IncentiveURL = raw
	if p.IncentiveTitle == "" || utf8.RuneCountInString(p.IncentiveTitle) > 200 || hasControl(p.IncentiveTitle) {
		return Invalid("incentive-title", "an incentive needs a title of 1 to 200 characters, without control characters")
	}
	return nil
}

// ValidFileName reports whether name can be one of the gateway's incentive
// files: one path segment, nothing hidden.
func ValidFileName(name string) bool {
	if name == "" || len(name) > 100 || name[0] == '.' || strings.Contains(name, "..") {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// partnerCache keeps partners in memory for a few seconds: CORS asks on
// every cross-origin request, and a CLI change must reach a running gateway
// within 5 s, so 2 s is the bound.
type partnerCache struct {
	mu      sync.Mutex
	at      time.Time
	byID    map[string]*Partner
	origins map[string]bool
}

const partnerTTL = 2 * time.Second

func (c *partnerCache) forget() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
}

func (s *Service) partnerSnapshot(ctx context.Context) (map[string]*Partner, map[string]bool, error) {
	c := &s.partners
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID != nil && time.Since(c.at) < partnerTTL {
		return c.byID, c.origins, nil
	}
	list, err := s.store.Partners.Partners(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("content: partners: %w", err)
	}
	c.byID, c.origins = map[string]*Partner{}, map[string]bool{}
	for i := range list {
		p := &list[i]
		c.byID[p.ID] = p
		for _, o := range p.Origins {
			c.origins[o] = true
		}
	}
	c.at = time.Now()
	return c.byID, c.origins, nil
}

// selfOrigin is the gateway's own origin: its demo page and the iframe
// fallback run there, for every partner.
func (s *Service) selfOrigin() string {
	o, _ := NormaliseOrigin(s.cfg.PublicURL)
	return o
}

// AllowedOrigin reports whether any partner lets origin call the API from
// a browser (CORS).
func (s *Service) AllowedOrigin(ctx context.Context, origin string) bool {
	if origin == "" {
		return false
	}
	if origin == s.selfOrigin() {
		return true
	}
	_, origins, err := s.partnerSnapshot(ctx)
	return err == nil && origins[strings.ToLower(origin)]
}

// PartnerAllows reports whether partner id accepts origin.
func (s *Service) PartnerAllows(ctx context.Context, id, origin string) bool {
	if origin == s.selfOrigin() {
		return true
	}
	byID, _, err := s.partnerSnapshot(ctx)
	if err != nil || byID[id] == nil {
		return false
	}
	for _, o := range byID[id].Origins {
		if o == strings.ToLower(origin) {
			return true
		}
	}
	return false
}

// Partner returns a partner, or nil when there is none.
func (s *Service) Partner(ctx context.Context, id string) (*Partner, error) {
	byID, _, err := s.partnerSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	return byID[id], nil
}

// Widget is the configuration of partner id's widget in the reader's
// locale, with a fresh form token; nil for an unknown partner.
func (s *Service) Widget(ctx context.Context, id, locale string) (*WidgetConfig, error) {
	p, err := s.Partner(ctx, id)
	if err != nil || p == nil {
		return nil, err
	}
	l := pickLocale(locale, p.Locale)
	c := p.copyFor(l)
	token, err := s.issueFormToken(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	return &WidgetConfig{
		Partner: p.ID, Locale: l, Headline: c.Headline, Body: c.Body, ButtonLabel: c.ButtonLabel,
		ConsentText: c.ConsentText, Theme: p.theme(), Strings: defaultStrings[l], FormToken: token,
	}, nil
}
