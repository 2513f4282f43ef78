package main

import (
	"flag"
	"time"

	"branchspec/experiments/serve"
)

var cmdServe = &command{
	Name:  "serve",
	Usage: "DIR... [--addr 127.0.0.1:8080] [--public] [--refresh 2s] [--by regime] [--baseline NAME]",
	Short: "watch runs live: a local web page over the runs below DIRs",
	Long: `Serve starts a local web server over every run below the DIRs and
prints its address. The page lists the runs (regime, seed, step/total,
status, test accuracy, last update) and refreshes while they train; draws
any metric's curves on a log-step axis, per run or per regime as the mean
with its 95% bootstrap band across seeds, branches aligned as compare
aligns them; shows compare's contrasts with the baseline and feedback
signature of the finished runs; and the first-layer kernel grid of any run
at any checkpoint that kept its weights. The metrics, regimes and seeds
shown are kept in the page's URL, so a view can be shared.

The numbers come from the code of compare and report, with the same
statistics flags. Serve only reads: it never waits on a training run (a
run in the middle of a checkpoint is shown as "busy" until the next
refresh) and answers GET and HEAD only.

The page has no authentication. It listens on 127.0.0.1 by default; an
address that is not loopback (--addr 0.0.0.0:8080) needs --public and
prints a warning. Ctrl-C stops the server.`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o struct {
			compareFlags
			addr    string
			public  bool
			refresh time.Duration
		}
		o.bind(fs)
		fs.StringVar(&o.addr, "addr", serve.DefaultAddr, "listen on HOST:PORT (port 0: any free port)")
		fs.BoolVar(&o.public, "public", false, "allow an address that is not loopback (the page has no authentication)")
		fs.DurationVar(&o.refresh, "refresh", serve.DefaultRefresh, "how often runs are re-read and the page refreshes")
		return func(e *env, args []string) error {
			if len(args) == 0 {
				return usagef("want at least one DIR")
			}
			if o.refresh < 100*time.Millisecond {
				return usagef("--refresh %v: want at least 100ms", o.refresh)
			}
			req := o.request(args)
			return serve.Serve(e.ctx, serve.Config{Addr: o.addr, Options: serve.Options{Dirs: args, By: req.By,
				Compare: req.Options, Refresh: o.refresh, Public: o.public}}, e.stdout, e.stderr)
		}
	},
}
