package content

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"
)

// newsletterText is what the newsletter's emails and pages say, per
// locale. A %s is the partner's name. The Mongolian strings name the
// partner after a colon rather than inflecting it: a case suffix on a name
// of any script ("Mongolia Inc-ийн") is a guess at its vowel harmony.
type newsletterText struct {
	Hello string

	ConfirmSubject, ConfirmIntro, ConfirmLead, ConfirmButton, ConfirmIgnore string

	WelcomeSubject, WelcomeIntro, IncentiveLead, IncentiveExpires string

	Why, UnsubscribeLead, UnsubscribeLabel string

	ConfirmTitle, ConfirmPrompt                        string
	ConfirmedTitle, ConfirmedMessage, AlreadyConfirmed string
	InvalidTitle, InvalidMessage                       string
	UnsubTitle, UnsubPrompt                            string
	UnsubscribedTitle, UnsubscribedMessage             string
	PageIncentive, FileExpired                         string
	ThisNewsletter                                     string
}

var newsletterTexts = map[string]newsletterText{
	"en": {
		Hello:          "Hello,",
		ConfirmSubject: "%s: please confirm your subscription",
		ConfirmIntro:   "Someone (we hope you) asked to receive %s's emails at this address.",
		ConfirmLead:    "Confirm within 72 hours:",
		ConfirmButton:  "Confirm my subscription",
		ConfirmIgnore:  "If it was not you, ignore this email: nothing more will be sent.",

		WelcomeSubject:   "Welcome to %s",
		WelcomeIntro:     "You are subscribed to %s's emails. Thank you for joining.",
		IncentiveLead:    "As promised, here is your copy:",
		IncentiveExpires: "The link works for 7 days. Need a new one? Sign up again with this address.",

		Why:              "You receive this email because this address was signed up for %s's emails.",
		UnsubscribeLead:  "Unsubscribe in one click:",
		UnsubscribeLabel: "Unsubscribe",

		ConfirmTitle:        "Confirm your subscription",
		ConfirmPrompt:       "Press the button to start receiving %s's emails.",
		ConfirmedTitle:      "You are subscribed",
		ConfirmedMessage:    "Thank you: you are now subscribed to %s. A welcome email is on its way.",
		AlreadyConfirmed:    "You are subscribed to %s: there is nothing more to do.",
		InvalidTitle:        "This link does not work",
		InvalidMessage:      "This link has expired or was already used. Sign up again to get a new one.",
		UnsubTitle:          "Unsubscribe",
		UnsubPrompt:         "Press the button to stop receiving %s's emails.",
		UnsubscribedTitle:   "You are unsubscribed",
		UnsubscribedMessage: "You will receive no more emails from %s. Changed your mind? Sign up again on their site.",
		PageIncentive:       "As promised, here is your copy:",
		FileExpired:         "This download link has expired. Sign up again with the same address to get a new one by email.",
		ThisNewsletter:      "this newsletter",
	},
	"mn": {
		Hello:          "Сайн байна уу,",
		ConfirmSubject: "%s: бүртгэлээ баталгаажуулна уу",
		ConfirmIntro:   "Хэн нэгэн (таныг гэж найдаж байна) энэ хаягаар дараах илгээгчийн имэйл хүлээн авахыг хүссэн байна: %s.",
		ConfirmLead:    "72 цагийн дотор баталгаажуулна уу:",
		ConfirmButton:  "Бүртгэлээ баталгаажуулах",
		ConfirmIgnore:  "Хэрэв энэ та биш бол энэ имэйлийг үл тоомсорлоорой: өөр юу ч илгээхгүй.",

		WelcomeSubject:   "%s: тавтай морилно уу",
		WelcomeIntro:     "Та дараах илгээгчийн имэйлд бүртгүүллээ: %s. Нэгдсэнд баярлалаа.",
		IncentiveLead:    "Амласан ёсоор таны хувь:",
		IncentiveExpires: "Холбоос 7 хоног хүчинтэй. Шинэ холбоос хэрэгтэй бол энэ хаягаараа дахин бүртгүүлээрэй.",

		Why:              "Энэ хаягаар дараах илгээгчийн имэйлд бүртгүүлсэн тул та энэ имэйлийг хүлээн авч байна: %s.",
		UnsubscribeLead:  "Нэг товшилтоор захиалгаа цуцлах:",
		UnsubscribeLabel: "Захиалга цуцлах",

		ConfirmTitle:        "Бүртгэлээ баталгаажуулна уу",
		ConfirmPrompt:       "Дараах илгээгчийн имэйл хүлээн авч эхлэхийн тулд товчийг дарна уу: %s.",
		ConfirmedTitle:      "Та бүртгэгдлээ",
		ConfirmedMessage:    "Баярлалаа: та бүртгэлээ баталгаажууллаа (%s). Угтах имэйл удахгүй ирнэ.",
		AlreadyConfirmed:    "Та аль хэдийн бүртгэгдсэн байна (%s): өөр хийх зүйлгүй.",
		InvalidTitle:        "Энэ холбоос ажиллахгүй байна",
		InvalidMessage:      "Энэ холбоосын хугацаа дууссан эсвэл аль хэдийн ашиглагдсан байна. Шинэ холбоос авахын тулд дахин бүртгүүлнэ үү.",
		UnsubTitle:          "Захиалга цуцлах",
		UnsubPrompt:         "Дараах илгээгчийн имэйлийг цаашид хүлээн авахгүй бол товчийг дарна уу: %s.",
		UnsubscribedTitle:   "Захиалга цуцлагдлаа",
		UnsubscribedMessage: "Та цаашид дараах илгээгчээс имэйл авахгүй: %s. Бодлоо өөрчилвөл дахин бүртгүүлж болно.",
		PageIncentive:       "Амласан ёсоор таны хувь:",
		FileExpired:         "Энэ татах холбоосын хугацаа дууссан байна. Шинэ холбоосыг имэйлээр авахын тулд ижил хаягаар дахин бүртгүүлнэ үү.",
		ThisNewsletter:      "энэ мэдээллийн товхимол",
	},
}

func textsFor(locale string) newsletterText {
	if t, ok := newsletterTexts[locale]; ok {
		return t
	}
	return newsletterTexts["en"]
}

// Link is a titled URL.
type Link struct{ Title, URL string }

// mailContent is one email before rendering: both parts are made from it,
// so the text and the HTML never say different things.
type mailContent struct {
	Lang, Partner, Subject, Hello string
	Intro                         []string
	Lead                          string // introduces Action
	Action                        *Link  // the email's one button
	After                         []string
	Why                           string
	UnsubscribeLead               string
	UnsubscribeLabel              string
	UnsubscribeURL                string
	Theme                         Theme
}

// text is the plain part: every link written out in full.
func (c mailContent) text() string {
	var b strings.Builder
	b.WriteString(c.Hello + "\n\n")
	for _, p := range c.Intro {
		b.WriteString(p + "\n\n")
	}
	if c.Action != nil {
		b.WriteString(c.Lead + "\n" + c.Action.Title + ": " + c.Action.URL + "\n\n")
	}
	for _, p := range c.After {
		b.WriteString(p + "\n\n")
	}
	b.WriteString("-- \n" + c.Why + "\n" + c.UnsubscribeLead + " " + c.UnsubscribeURL + "\n")
	return b.String()
}

// mailHTML is the HTML part: tables and inline styles, because that is
// what mail clients render alike; the partner's theme colours it.
var mailHTML = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:0;background:{{.Theme.Background}};color:{{.Theme.Text}};font:16px/1.5 Arial,Helvetica,sans-serif">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:{{.Theme.Background}}"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-top:4px solid {{.Theme.Accent}}">
<tr><td style="padding:24px;color:{{.Theme.Text}}">
<p style="margin:0 0 16px;font-weight:bold;color:{{.Theme.Accent}}">{{.Partner}}</p>
<p style="margin:0 0 16px">{{.Hello}}</p>
{{range .Intro}}<p style="margin:0 0 16px">{{.}}</p>
{{end}}{{with .Action}}<p style="margin:0 0 8px">{{$.Lead}}</p>
<p style="margin:0 0 24px"><a href="{{.URL}}" style="display:inline-block;padding:12px 20px;background:{{$.Theme.Accent}};color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold">{{.Title}}</a></p>
{{end}}{{range .After}}<p style="margin:0 0 16px">{{.}}</p>
{{end}}<p style="margin:24px 0 0;font-size:13px;color:#555555">{{.Why}} <a href="{{.UnsubscribeURL}}" style="color:{{.Theme.Accent}}">{{.UnsubscribeLabel}}</a></p>
</td></tr></table>
</td></tr></table>
</body></html>
`))

// message renders c as a queued email to sub.
func (s *Service) message(p *Partner, sub Subscriber, c mailContent, unsubscribe string) (*Message, error) {
	c.UnsubscribeURL = unsubscribe
	var h bytes.Buffer
	if err := mailHTML.Execute(&h, c); err != nil {
		return nil, fmt.Errorf("content: render email: %w", err)
	}
	return &Message{
		To: sub.Email, FromName: p.Name, ReplyTo: p.ReplyTo, Subject: c.Subject,
		Body: c.text(), HTML: h.String(), Locale: c.Lang, MessageID: s.messageID(),
		Unsubscribe: unsubscribe, SubscriberID: sub.ID,
	}, nil
}

// messageID is a new Message-ID on the gateway's host name.
func (s *Service) messageID() string {
	host := "byline.invalid"
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "<" + randomToken(18) + "@" + host + ">"
}

// mailBase is what every email to sub says, in its locale.
func (s *Service) mailBase(p *Partner, sub Subscriber) (mailContent, newsletterText) {
	locale := pickLocale(sub.Locale, p.Locale)
	t := textsFor(locale)
	return mailContent{
		Lang: locale, Partner: p.Name, Hello: t.Hello, Theme: p.theme(),
		Why: fmt.Sprintf(t.Why, p.Name), UnsubscribeLead: t.UnsubscribeLead, UnsubscribeLabel: t.UnsubscribeLabel,
	}, t
}

// confirmMail asks sub to confirm, with the link that carries token.
func (s *Service) confirmMail(key []byte, p *Partner, sub Subscriber, token string) (*Message, error) {
	c, t := s.mailBase(p, sub)
	c.Subject = fmt.Sprintf(t.ConfirmSubject, p.Name)
	c.Intro = []string{fmt.Sprintf(t.ConfirmIntro, p.Name)}
	c.Lead = t.ConfirmLead
	c.Action = &Link{Title: t.ConfirmButton, URL: s.absolute("/widget/confirm?token=" + token)}
	c.After = []string{t.ConfirmIgnore}
	return s.message(p, sub, c, s.unsubscribeURL(key, sub.UnsubHandle))
}

// welcomeMail welcomes a confirmed sub, with the partner's incentive.
func (s *Service) welcomeMail(key []byte, p *Partner, sub Subscriber, now time.Time) (*Message, error) {
	c, t := s.mailBase(p, sub)
	c.Subject = fmt.Sprintf(t.WelcomeSubject, p.Name)
	c.Intro = []string{fmt.Sprintf(t.WelcomeIntro, p.Name)}
	if l, signed := s.incentive(key, p, now); l != nil {
		c.Lead, c.Action = t.IncentiveLead, l
		if signed {
			c.After = []string{t.IncentiveExpires}
		}
	}
	return s.message(p, sub, c, s.unsubscribeURL(key, sub.UnsubHandle))
}
