package acme

import (
	"context"
	"log/slog"
	"slices"
	"strings"

	"go.uber.org/zap/zapcore"
)

// slogCore passes certmagic's log (zap) on to herald's (log/slog): its
// errors only, such as a renewal that will be retried, since its
// information lines (a lock taken, a challenge presented) are many and
// the events of a certificate are logged by Manager.onEvent. A failure to
// obtain is logged there too, with the authority's reason, so its line
// here is left out.
type slogCore struct {
	log    *slog.Logger
	fields []zapcore.Field
}

func (c slogCore) Enabled(l zapcore.Level) bool { return l >= zapcore.ErrorLevel }

func (c slogCore) With(fields []zapcore.Field) zapcore.Core {
	return slogCore{log: c.log, fields: slices.Concat(c.fields, fields)}
}

func (c slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) && e.Message != "could not get certificate from issuer" {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range slices.Concat(c.fields, fields) {
		f.AddTo(enc)
	}
	keys := make([]string, 0, len(enc.Fields))
	for k := range enc.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		name := k
		if k == "identifier" {
			name = "host"
		}
		args = append(args, name, enc.Fields[k])
	}
	msg := "acme: " + strings.TrimSpace(e.Message)
	c.log.Log(context.Background(), slog.LevelError, msg, args...)
	return nil
}

func (c slogCore) Sync() error { return nil }
