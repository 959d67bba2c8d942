package manifest

import (
	"mime"
	"strings"
)

// Link formats the Link header field value that announces the asset, the
// same for every front end: herald serve and each exported configuration.
// For example
//
//	</css/a.css>; rel=preload; as=style
//	</fonts/x.woff2>; rel=preload; as=font; type="font/woff2"; crossorigin
//	</js/app.mjs>; rel=modulepreload; crossorigin
//
// The URL is the request target the browser sends, inside <> as RFC 8288
// requires; bytes a URI cannot hold (space, quotes, <>, non-ASCII, ...) are
// percent-encoded so the value is always a valid header field.
func (a Asset) Link() string {
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(escapeURL(a.Path))
	b.WriteByte('>')
	if a.Why == WhyModulePreload {
		// A module preload's destination is script; it takes no "as".
		b.WriteString("; rel=modulepreload")
	} else {
		b.WriteString("; rel=preload")
		if a.As != "" {
			b.WriteString("; as=")
			b.WriteString(token(a.As))
		}
	}
	if t := a.linkType(); t != "" {
		b.WriteString("; type=")
		b.WriteString(quoted(t))
	}
	if a.Media != "" {
		b.WriteString("; media=")
		b.WriteString(quoted(a.Media))
	}
	switch a.CrossOrigin {
	case "":
	case "use-credentials":
		b.WriteString("; crossorigin=use-credentials")
	default:
		b.WriteString("; crossorigin")
	}
	return b.String()
}

// PreloadLink formats the Link value of one of a page's own preloads that
// block nothing (Page.Preload): Link with "nopush", so
// that a server that pushes what its Link headers announce (nginx's
// http2_push_preload, h2o, Apache's H2Push, Caddy's push) leaves it to the
// browser. They follow the critical assets' values.
func (a Asset) PreloadLink() string {
	return a.Link() + "; nopush"
}

// linkType is the type attribute a browser needs to decide whether a preload
// is of use to it before fetching: always for fonts (a browser skips formats
// it cannot read), and for explicit preloads, whose author may have offered
// the choice. The media type goes without parameters: charset means nothing
// to a preload.
func (a Asset) linkType() string {
	if a.Type == "" || (a.As != "font" && a.Why != WhyPreload) {
		return ""
	}
	t, _, err := mime.ParseMediaType(a.Type)
	if err != nil {
		return ""
	}
	return t
}

// escapeURL percent-encodes the bytes of a request target that RFC 3986 does
// not allow anywhere in a URI. Existing escapes are kept as they are.
func escapeURL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>\^`+"`"+`{|}`, c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// token returns s if it is an RFC 9110 token, else s as a quoted-string.
func token(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return quoted(s)
		}
	}
	return s
}

// quoted returns s as an RFC 9110 quoted-string; control characters, which a
// header field cannot carry, are dropped.
func quoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' && c != '\t' || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
