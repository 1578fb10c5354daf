package main

// The widget's logic, free of the DOM so host tests cover it: what to ask
// the gateway and what to tell the reader.

// config is the widget's configuration as the gateway sends it.
type config struct {
	partner, locale, headline, body, button, consent string
	accent, background, text                         string
	emailLabel, placeholder, sending, success        string
	invalidEmail, consentRequired, failed            string
	formToken                                        string
}

// widgetQuery asks for a partner's widget.
const widgetQuery = `query Widget($partner: ID!, $locale: String) {
  widget(partner: $partner, locale: $locale) {
    partner locale headline body buttonLabel consentText formToken
    theme { accent background text }
    strings { emailLabel emailPlaceholder sending success invalidEmail consentRequired failed }
  }
}`

// subscribeMutation signs a reader up.
const subscribeMutation = `mutation Subscribe($input: SubscribeInput!) {
  subscribe(input: $input) { status message }
}`

// outcome is what the status region says after a submission, and whether
// it succeeded.
type outcome struct {
	message string
	ok      bool
}

// check validates the form before anything is sent.
func check(c *config, email string, consent bool) (string, outcome, bool) {
	addr, problem := normaliseEmail(email)
	if problem != "" {
		return "", outcome{message: c.invalidEmail}, false
	}
	if !consent {
		return "", outcome{message: c.consentRequired}, false
	}
	return addr, outcome{}, true
}

// result reads the gateway's answer to subscribe: status and message from
// the payload, the first error's message otherwise.
func result(c *config, status, message, errMessage string) outcome {
	switch {
	case status == "PENDING_CONFIRMATION" || status == "SUBSCRIBED":
		if message == "" {
			message = c.success
		}
		return outcome{message: message, ok: true}
	case status == "REJECTED" && message != "":
		return outcome{message: message}
	case errMessage != "":
		return outcome{message: errMessage}
	}
	return outcome{message: c.failed}
}

// stylesheet is the widget's CSS, themed. It goes in a constructable
// stylesheet: no inline style, so a partner's CSP style-src need not allow it.
func stylesheet(c *config) string {
	return `:host{all:initial;display:block;box-sizing:border-box;height:100%;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:` + c.text + `}
*{box-sizing:border-box}
.box{height:100%;overflow:auto;background:` + c.background + `;border-top:4px solid ` + c.accent + `;padding:16px 18px}
h2{margin:0 0 4px;font-size:19px;line-height:1.25}
p{margin:0 0 12px}
label{display:block;font-weight:600;margin-bottom:4px}
input[type=email]{display:block;width:100%;padding:9px 10px;font:inherit;border:1px solid #8a8a8a;border-radius:4px;background:#fff;color:#111}
button{padding:9px 16px;font:inherit;font-weight:600;border:0;border-radius:4px;background:` + c.accent + `;color:#fff;cursor:pointer}
button[disabled]{opacity:.6;cursor:progress}
input:focus-visible,button:focus-visible{outline:3px solid ` + c.accent + `;outline-offset:2px}
.consent{display:flex;gap:8px;align-items:flex-start;font-weight:400;margin:10px 0;font-size:13px}
.consent input{margin-top:3px}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
[role=status]{min-height:1.45em;margin-top:8px;font-size:14px}
[role=status].ok{color:#1d6b35}[role=status].err{color:#a3161b}`
}

// defaultMinFill is the gateway's default minimum fill time, in ms: what
// the widget waits for when a token does not say.
const defaultMinFill = 2000

// holdSlack covers what the page's clock cannot see: replicas' clocks that
// differ by a little, and timers that fire a little early.
const holdSlack = 200

// minFillOf reads the minimum fill time, in ms, that a form token carries:
// v1.<issued>.<nonce>~<ms>.<mac>. It is the gateway's word for how old the
// token must be when a sign-up reaches it; defaultMinFill when the token
// does not say or says nonsense.
func minFillOf(token string) int {
	field, ms, digits := 0, 0, -1 // digits < 0: not in the hint
	for i := 0; i < len(token); i++ {
		switch b := token[i]; {
		case b == '.':
			if field == 2 {
				if digits > 0 {
					return ms
				}
				return defaultMinFill
			}
			field++
		case field != 2:
		case b == '~':
			ms, digits = 0, 0
		case digits >= 0 && b >= '0' && b <= '9' && digits < 7:
			ms = ms*10 + int(b-'0')
			digits++
		case digits >= 0:
			return defaultMinFill
		}
	}
	return defaultMinFill
}

// holdFor is how long, in ms, a submission made at now must wait so that
// its token, received at got (both on the page's clock, in ms), is old
// enough for the gateway: the gateway counts from before got and until
// after the request leaves, so the page's count is the shorter one.
func holdFor(token string, got, now float64) float64 {
	return max(0, float64(minFillOf(token)+holdSlack)-(now-got))
}
