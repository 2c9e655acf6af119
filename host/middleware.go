package host

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Middleware is a set of handlers installed and removed together, as
// pyeventsystem's middleware objects.
type Middleware interface {
	// Install registers the middleware's handlers on ev. It must register
	// them before it returns: Use collects them into one Handle.
	Install(ev *Events) error
}

// MiddlewareFunc adapts a function to Middleware.
type MiddlewareFunc func(ev *Events) error

// Install calls f.
func (f MiddlewareFunc) Install(ev *Events) error { return f(ev) }

// Use installs a middleware and returns the Handle that removes all of its
// handlers. If Install fails, what it registered is removed again.
func (ev *Events) Use(m Middleware) (*Handle, error) {
	ids := []uint64{}
	scoped := &Events{reg: ev.reg, rec: &ids}
	if err := m.Install(scoped); err != nil {
		ev.reg.remove(ids)
		return nil, err
	}
	return &Handle{reg: ev.reg, ids: ids}, nil
}

// The priorities of DebugLogging's observers, CloudBridge's: first of all
// handlers, and after the implementation.
const (
	DebugLogStartPriority = 100
	DebugLogEndPriority   = 4900
)

// maxLogValue bounds a logged argument or result: a page of a thousand
// objects is not worth a log line of a megabyte.
const maxLogValue = 1024

// DebugLogging is CloudBridge's EventDebugLoggingMiddleware: it logs every
// call at trace level when it starts (event, arguments) and at debug level
// when it ends (event, arguments, result or error, duration, attempts). A
// provider opened with a logger at debug level installs it by itself.
//
// Unlike the original, which warns that it may log access keys, it redacts
// what must not reach a log: private keys (KeyPair.Material), user data,
// the signed query and headers of presigned URLs. Settings never pass
// through events, so secrets given to Configure cannot appear.
func DebugLogging(log hclog.Logger) Middleware {
	return MiddlewareFunc(func(ev *Events) error {
		_, err := ev.Observe("*", DebugLogStartPriority, func(_ context.Context, e *Event) {
			if log.IsTrace() {
				log.Trace("call", "event", e.Name, "args", loggable(e.Args))
			}
		})
		if err != nil {
			return err
		}
		_, err = ev.Observe("*", DebugLogEndPriority, func(_ context.Context, e *Event) {
			if !log.IsDebug() {
				return
			}
			kv := []any{"event", e.Name, "args", loggable(e.Args), "duration", e.Duration, "attempts", e.Attempts}
			if e.Err != nil {
				log.Debug("call failed", append(kv, "code", string(sdk.CodeOf(e.Err)), "error", e.Err.Error())...)
				return
			}
			log.Debug("call done", append(kv, "result", loggable(e.Result))...)
		})
		return err
	})
}

// secretFields are JSON field names (the sdk types' tags) whose values are
// never logged.
var secretFields = map[string]bool{"material": true, "user_data": true, "password": true, "secret": true, "secrets": true}

// loggable renders a call's argument or result for a log line: as JSON (the
// sdk types' own field names), with secret fields redacted.
func loggable(v any) string {
	if v == nil {
		return ""
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%T>", v)
	}
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return fmt.Sprintf("<%T>", v)
	}
	out, _ := json.Marshal(redact(tree))
	if len(out) > maxLogValue {
		return fmt.Sprintf("%s…(%d bytes)", out[:maxLogValue], len(out))
	}
	return string(out)
}

// redact walks a decoded JSON value and blanks secret fields, the query of
// every URL (a presigned URL's signature and credential are in it) and the
// values of every header map (they may carry tokens).
func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if m, ok := val.(map[string]any); ok && len(m) == 0 {
				delete(x, k) // a service handle such as Network.Gateways: nothing to see
				continue
			}
			switch {
			case secretFields[strings.ToLower(k)] && val != nil && val != "":
				x[k] = "[redacted]"
			case k == "url":
				x[k] = redactURL(val)
			case k == "headers":
				x[k] = redactValues(val)
			default:
				x[k] = redact(val)
			}
		}
	case []any:
		for i := range x {
			x[i] = redact(x[i])
		}
	}
	return v
}

func redactURL(v any) any {
	s, ok := v.(string)
	if !ok {
		return redact(v)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "[redacted]"
	}
	if u.RawQuery != "" {
		u.RawQuery = "[redacted]"
	}
	u.User = nil
	return u.String()
}

func redactValues(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return redact(v)
	}
	for k := range m {
		m[k] = "[redacted]"
	}
	return m
}
