package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// DefaultAddr is where Serve listens when Config.Addr is "": the
// loopback interface only.
const DefaultAddr = "127.0.0.1:8080"

// Config is what Serve serves and where.
type Config struct {
	// Addr is host:port (default DefaultAddr; port 0 picks a free one).
	// A host that is not loopback needs Options.Public.
	Addr string
	Options
}

// CheckAddr checks that addr is host:port and that its host is a
// loopback address or "localhost", unless public. It returns whether the
// address is loopback; an address it refuses is experiments.ErrInvalid.
// An empty host (":8080") listens on every interface and is not
// loopback.
func CheckAddr(addr string, public bool) (loopback bool, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, invalidf("address %q: %v (want HOST:PORT, e.g. %s)", addr, err, DefaultAddr)
	}
	ip := net.ParseIP(host)
	loopback = strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback())
	if !loopback && !public {
		return false, invalidf("address %q is not loopback: the page has no authentication, so serving beyond this machine needs --public", addr)
	}
	return loopback, nil
}

// Serve listens on cfg.Addr and serves the page over cfg.Dirs until ctx
// is cancelled, then shuts down (waiting at most 5 s for requests in
// flight) and returns nil. It writes the page's address to out and, for
// an address that is not loopback, a warning that the page has no
// authentication to warn.
func Serve(ctx context.Context, cfg Config, out, warn io.Writer) error {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	loopback, err := CheckAddr(cfg.Addr, cfg.Public)
	if err != nil {
		return err
	}
	s, err := New(cfg.Options)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if !loopback {
		fmt.Fprintf(warn, "warning: serving on %s, beyond this machine: the page has no authentication, and anyone who can reach this address can read every run below %s\n",
			ln.Addr(), strings.Join(cfg.Dirs, ", "))
	}
	fmt.Fprintf(out, "serving runs below %s at http://%s/ (Ctrl-C stops)\n", strings.Join(cfg.Dirs, ", "), ln.Addr())
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
