//go:build js && wasm

package main

import "syscall/js"

// The DOM glue: syscall/js only (no fmt, net/http or encoding/json: they
// would triple the module). JSON goes through the browser's own JSON.

var (
	global = js.Global()
	doc    = global.Get("document")
	jsJSON = global.Get("JSON")
)

func main() {
	global.Set("bylineMount", js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) == 2 {
			mount(args[0], args[1])
		}
		return nil
	}))
	if ready := global.Get("__bylineReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {} // callbacks keep arriving: the module must stay alive
}

// opts are the loader's: partner, locale, gateway, page, host.
func mount(root, opts js.Value) {
	gateway := opts.Get("gateway").String()
	vars := obj()
	vars.Set("partner", opts.Get("partner"))
	vars.Set("locale", opts.Get("locale"))
	post(gateway, widgetQuery, vars, func(data js.Value, errMsg string) {
		w := data.Get("widget")
		if errMsg != "" || w.IsNull() || w.IsUndefined() {
			fail(root, opts)
			return
		}
		render(root, opts, readConfig(w))
	})
}

func str(v js.Value, key string) string {
	f := v.Get(key)
	if f.Type() != js.TypeString {
		return ""
	}
	return f.String()
}

func readConfig(w js.Value) *config {
	t, s := w.Get("theme"), w.Get("strings")
	return &config{
		partner: str(w, "partner"), locale: str(w, "locale"), headline: str(w, "headline"), body: str(w, "body"),
		button: str(w, "buttonLabel"), consent: str(w, "consentText"), formToken: str(w, "formToken"),
		accent: str(t, "accent"), background: str(t, "background"), text: str(t, "text"),
		emailLabel: str(s, "emailLabel"), placeholder: str(s, "emailPlaceholder"), sending: str(s, "sending"),
		success: str(s, "success"), invalidEmail: str(s, "invalidEmail"), consentRequired: str(s, "consentRequired"),
		failed: str(s, "failed"),
	}
}

func obj() js.Value { return global.Get("Object").New() }

// el makes an element with attributes (name, value pairs) and text.
func el(tag, text string, attrs ...string) js.Value {
	e := doc.Call("createElement", tag)
	for i := 0; i+1 < len(attrs); i += 2 {
		e.Call("setAttribute", attrs[i], attrs[i+1])
	}
	if text != "" {
		e.Set("textContent", text)
	}
	return e
}

func add(parent js.Value, kids ...js.Value) js.Value {
	for _, k := range kids {
		parent.Call("appendChild", k)
	}
	return parent
}

// idSeq keeps ids unique when a page has several widgets.
var idSeq int

func render(root, opts js.Value, c *config) {
	idSeq++
	n := itoa(idSeq)
	sheet := global.Get("CSSStyleSheet")
	if sheet.Type() == js.TypeFunction && root.Get("adoptedStyleSheets").Type() != js.TypeUndefined {
		s := sheet.New()
		s.Call("replaceSync", stylesheet(c))
		arr := global.Get("Array").New()
		arr.Call("push", s)
		root.Set("adoptedStyleSheets", arr)
	} else {
		add(root, el("style", stylesheet(c)))
	}
	emailID, consentID, statusID := "byline-email-"+n, "byline-consent-"+n, "byline-status-"+n
	email := el("input", "", "type", "email", "id", emailID, "name", "email", "required", "", "autocomplete", "email",
		"placeholder", c.placeholder, "aria-describedby", statusID, "maxlength", "254")
	consent := el("input", "", "type", "checkbox", "id", consentID, "name", "consent", "required", "")
	button := el("button", c.button, "type", "submit")
	status := el("div", "", "role", "status", "aria-live", "polite", "id", statusID)
	honeypot := el("input", "", "type", "text", "name", "website", "tabindex", "-1", "autocomplete", "off", "aria-hidden", "true")
	form := el("form", "", "novalidate", "", "aria-labelledby", "byline-h-"+n, "lang", c.locale)
	// Order is tab order: address, consent, then the button.
	add(form,
		el("label", c.emailLabel, "for", emailID),
		email,
		add(el("label", "", "class", "consent", "for", consentID), consent, el("span", c.consent)),
		add(el("div", "", "class", "hp"), honeypot),
		button,
		status,
	)
	box := add(el("div", "", "class", "box", "part", "box"), el("h2", c.headline, "id", "byline-h-"+n), el("p", c.body), form)
	root.Call("replaceChildren") // clears the placeholder; no markup is ever parsed
	add(root, box)
	// The form token, and when it came (the config just did). The gateway
	// refuses a token younger than its minimum fill time, which autofill
	// easily beats: a submission waits, "sending", until the token is old
	// enough, and, after an answer, until the next token is here.
	token, got := c.formToken, now()
	renewing := false
	var waiting func() // a submission waiting for the next token
	var answered func(data js.Value, errMsg string)
	busy := false
	form.Call("addEventListener", "submit", js.FuncOf(func(this js.Value, args []js.Value) any {
		args[0].Call("preventDefault")
		if busy {
			return nil
		}
		addr, out, ok := check(c, email.Get("value").String(), consent.Get("checked").Bool())
		if !ok {
			say(status, out)
			if addr == "" && out.message == c.invalidEmail {
				email.Call("focus")
			} else {
				consent.Call("focus")
			}
			return nil
		}
		busy = true
		button.Set("disabled", true)
		form.Call("setAttribute", "aria-busy", "true")
		status.Set("className", "")
		status.Set("textContent", c.sending)
		in := obj()
		in.Set("email", addr)
		in.Set("partner", c.partner)
		in.Set("consent", true)
		in.Set("pageUrl", opts.Get("page"))
		in.Set("locale", c.locale)
		in.Set("website", honeypot.Get("value"))
		var send func()
		send = func() {
			if renewing {
				waiting = send
				return
			}
			if d := holdFor(token, got, now()); d > 0 {
				later(d, send)
				return
			}
			in.Set("formToken", token)
			vars := obj()
			vars.Set("input", in)
			post(opts.Get("gateway").String(), subscribeMutation, vars, answered)
		}
		send()
		return nil
	}))
	answered = func(data js.Value, errMsg string) {
		busy = false
		button.Set("disabled", false)
		form.Call("removeAttribute", "aria-busy")
		s := data.Get("subscribe")
		var res outcome
		if s.Type() == js.TypeObject {
			res = result(c, str(s, "status"), str(s, "message"), errMsg)
		} else {
			res = result(c, "", "", errMsg)
		}
		say(status, res)
		if res.ok {
			form.Call("reset")
			detail := obj()
			detail.Set("partner", c.partner)
			init := obj()
			init.Set("bubbles", true)
			init.Set("composed", true)
			init.Set("detail", detail)
			opts.Get("host").Call("dispatchEvent", global.Get("CustomEvent").New("byline:subscribed", init))
		}
		// A token is single-use: fetch the next one quietly.
		renewing = true
		v := obj()
		v.Set("partner", c.partner)
		v.Set("locale", c.locale)
		post(opts.Get("gateway").String(), widgetQuery, v, func(d js.Value, e string) {
			if w := d.Get("widget"); e == "" && w.Type() == js.TypeObject {
				token, got = str(w, "formToken"), now()
			}
			renewing = false
			if f := waiting; f != nil {
				waiting = nil
				f()
			}
		})
	}
	if perf := global.Get("performance"); perf.Type() == js.TypeObject && perf.Get("mark").Type() == js.TypeFunction {
		perf.Call("mark", "byline:interactive")
	}
}

// now is the page's monotonic clock, in ms.
func now() float64 {
	if perf := global.Get("performance"); perf.Type() == js.TypeObject && perf.Get("now").Type() == js.TypeFunction {
		return perf.Call("now").Float()
	}
	return global.Get("Date").Call("now").Float()
}

// later runs f once, ms from now.
func later(ms float64, f func()) {
	var cb js.Func
	cb = js.FuncOf(func(this js.Value, args []js.Value) any {
		cb.Release()
		f()
		return nil
	})
	global.Call("setTimeout", cb, ms)
}

func say(status js.Value, o outcome) {
	if o.ok {
		status.Set("className", "ok")
	} else {
		status.Set("className", "err")
	}
	status.Set("textContent", o.message)
}

// fail hands the box back to the loader, which shows the no-JS form.
func fail(root, opts js.Value) {
	if f := global.Get("__bylineFail"); f.Type() == js.TypeFunction {
		f.Invoke(opts.Get("host"))
	}
}

// post sends a GraphQL request with fetch and calls done with the data
// (never undefined) and the first error's message, or "" on success.
func post(gateway, query string, vars js.Value, done func(data js.Value, errMsg string)) {
	body := obj()
	body.Set("query", query)
	body.Set("variables", vars)
	headers := obj()
	headers.Set("Content-Type", "application/json")
	init := obj()
	init.Set("method", "POST")
	init.Set("headers", headers)
	init.Set("body", jsJSON.Call("stringify", body))
	init.Set("credentials", "omit") // no cookies, ever
	var onOK, onJSON, onErr js.Func
	release := func() { onOK.Release(); onJSON.Release(); onErr.Release() }
	onErr = js.FuncOf(func(this js.Value, args []js.Value) any {
		release()
		done(obj(), "") // the reader gets the localised "failed" message
		return nil
	})
	onJSON = js.FuncOf(func(this js.Value, args []js.Value) any {
		release()
		r := args[0]
		data := r.Get("data")
		if data.Type() != js.TypeObject {
			data = obj()
		}
		msg := ""
		if errs := r.Get("errors"); errs.Type() == js.TypeObject && errs.Length() > 0 {
			msg = str(errs.Index(0), "message")
			if msg == "" {
				msg = "error"
			}
		}
		done(data, msg)
		return nil
	})
	onOK = js.FuncOf(func(this js.Value, args []js.Value) any {
		args[0].Call("json").Call("then", onJSON, onErr)
		return nil
	})
	global.Call("fetch", gateway+"/graphql", init).Call("then", onOK, onErr)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
