package textsafe

import (
	"context"
	"fmt"
	"log/slog"
)

// NewHandler wraps h so that the message and the text values of every
// record pass through Line first: strings, errors, fmt.Stringers and
// lists of strings, in groups too. A log line then holds no control
// character and no workflow command, in the text format (which would
// quote them but not break "##vso[") and in JSON (whose readers print the
// decoded strings: jq -r would write an ESC or a line feed raw). Other
// values (numbers, times, durations) are left as they are.
func NewHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(handler); ok {
		return h
	}
	return handler{h}
}

type handler struct{ h slog.Handler }

func (x handler) Enabled(ctx context.Context, l slog.Level) bool { return x.h.Enabled(ctx, l) }

func (x handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Line(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(cleanAttr(a))
		return true
	})
	return x.h.Handle(ctx, out)
}

func (x handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = cleanAttr(a)
	}
	return handler{x.h.WithAttrs(clean)}
}

func (x handler) WithGroup(name string) slog.Handler { return handler{x.h.WithGroup(Line(name))} }

func cleanAttr(a slog.Attr) slog.Attr {
	a.Key = Line(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(Line(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]slog.Attr, len(g))
		for i, ga := range g {
			clean[i] = cleanAttr(ga)
		}
		a.Value = slog.GroupValue(clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			a.Value = slog.StringValue(Line(x.Error()))
		case fmt.Stringer:
			a.Value = slog.StringValue(Line(x.String()))
		case []string:
			clean := make([]string, len(x))
			for i, s := range x {
				clean[i] = Line(s)
			}
			a.Value = slog.AnyValue(clean)
		default:
			a.Value = v
		}
	default:
		a.Value = v
	}
	return a
}
