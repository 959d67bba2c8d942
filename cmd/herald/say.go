package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
)

// sayFlags choose how herald serve speaks on standard error. Every line
// after the URL goes through one log/slog logger (newSayLogger): text for
// a person, or one JSON object per line for a program.
func sayFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the URL, warnings and errors"},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "what serve prints after the URL: text, or json (one object per line, log/slog's JSONHandler)"},
	}
}

// Events name the lines herald serve says of its own, in the "event"
// attribute: a JSON reader tells them by it, and the text handler writes
// their message alone (it says everything the attributes say).
const (
	eventStart   = "start"   // a start-up line; "about" names what it tells of
	eventChange  = "change"  // a change applied from the watched folder
	eventFinding = "finding" // a finding of herald check that a change brought
	eventFixed   = "fixed"   // one that a change fixed
	eventProblem = "problem" // a file the build could not use
)

// newSayLogger makes serve's logger: format text or json, warnings and
// errors only when quiet.
func newSayLogger(w io.Writer, format string, quiet bool) (*slog.Logger, error) {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	switch format {
	case "text":
		return slog.New(&sayHandler{w: w, mu: &sync.Mutex{}, level: level}), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})), nil
	}
	return nil, usageError("--log-format %q: use text or json", format)
}

// sayHandler writes records for a person: start-up lines aligned under
// the URL, a change or a fix after the time of day, warnings and errors as
// herald's other messages ("herald: warning: ..."). A record from
// elsewhere (the watcher, the server) gets its attributes after the
// message, as key=value.
type sayHandler struct {
	w     io.Writer
	mu    *sync.Mutex // one line at a time, shared with the handlers derived
	level slog.Level
	attrs []slog.Attr // from WithAttrs, keys prefixed with their groups
	group string      // "a.b." from WithGroup
}

func (h *sayHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *sayHandler) Handle(_ context.Context, r slog.Record) error {
	var event, about string
	attrs := append([]slog.Attr(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		switch {
		case h.group == "" && a.Key == "event":
			event = a.Value.String()
		case h.group == "" && a.Key == "about":
			about = a.Value.String()
		default:
			attrs = append(attrs, slog.Attr{Key: h.group + a.Key, Value: a.Value})
		}
		return true
	})
	var b strings.Builder
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("herald: error: " + r.Message)
	case r.Level >= slog.LevelWarn:
		b.WriteString("herald: warning: " + r.Message)
	case event == eventStart:
		fmt.Fprintf(&b, "  %-12s %s", about, r.Message)
	case event != "":
		b.WriteString(r.Time.Format(time.TimeOnly) + " " + r.Message)
	default:
		b.WriteString("herald: " + r.Message)
	}
	if event == "" {
		for _, a := range attrs {
			writeAttr(&b, "", a)
		}
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

// writeAttr writes a as key=value, quoted when the value has spaces.
func writeAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			writeAttr(b, prefix+a.Key+".", g)
		}
		return
	}
	v := a.Value.String()
	if v == "" || strings.ContainsAny(v, " \t\n\"=") {
		v = fmt.Sprintf("%q", v)
	}
	fmt.Fprintf(b, " %s%s=%s", prefix, a.Key, v)
}

func (h *sayHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		c.attrs = append(c.attrs, slog.Attr{Key: h.group + a.Key, Value: a.Value})
	}
	return &c
}

func (h *sayHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group += name + "."
	return &c
}
