// Command servecheck drives headless Chromium over the page of
// 'branchspec serve' while a run trains: it loads the page, waits until
// the run list has updated itself at least -updates times and the
// training run's step has advanced on the page, and a curve is drawn,
// then saves a full-page screenshot and checks that it is not blank.
// 'make serve-check' runs it (see check.sh beside it).
//
// It is its own module so that the DevTools-protocol library
// (chromedp) stays out of branchspec's dependencies.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	url := flag.String("url", "", "page to load (required)")
	out := flag.String("out", "serve.png", "screenshot file")
	browser := flag.String("chromium", "chromium", "Chromium executable")
	updates := flag.Int("updates", 2, "run-list updates to wait for")
	timeout := flag.Duration("timeout", 90*time.Second, "give up after")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "servecheck: -url is required")
		os.Exit(2)
	}
	if err := check(*url, *out, *browser, *updates, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "servecheck:", err)
		os.Exit(1)
	}
}

func check(url, out, browser string, updates int, timeout time.Duration) error {
	profile, err := os.MkdirTemp("", "servecheck-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1400, 1000),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	start := time.Now()
	// The first call starts the browser and must not carry the timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	every := chromedp.WithPollingInterval(100 * time.Millisecond)

	// The training run's row: its step text when first seen, then a
	// different one.
	const trainingStep = `(() => { const b = document.querySelector("#runs tr .badge.training");
		return b ? b.closest("tr").children[3].textContent : ""; })()`
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool](trainingStep+` !== ""`, every)); err != nil {
		return fmt.Errorf("waiting for a training run on the page: %w", err)
	}
	first, err := chromedp.Run(tctx, chromedp.Evaluate[string](trainingStep))
	if err != nil {
		return err
	}
	cond := fmt.Sprintf(`Number(document.body.dataset.updates) >= %d && Number(document.body.dataset.curves) > 0 && %s !== %q`,
		updates, trainingStep, first)
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool](cond, every)); err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(document.body.dataset) + " " + `+trainingStep))
		return fmt.Errorf("waiting for %d run-list updates, a curve and the training run past %q: %w (page: %s)", updates, first, err, state)
	}
	later, err := chromedp.Run(tctx, chromedp.Evaluate[string](trainingStep))
	if err != nil {
		return err
	}
	nUpdates, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body.dataset.updates`))
	nCurves, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body.dataset.curves`))
	if err := chromedp.Do(tctx, chromedp.Sleep(700*time.Millisecond)); err != nil { // let the last answers draw
		return err
	}
	shot, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		return err
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if n := colours(img); n < 50 {
		return fmt.Errorf("screenshot %s has %d colours: blank or unstyled", out, n)
	}
	fmt.Printf("servecheck: after %.1fs the page had updated its run list %s times, the training run went from step %s to %s, %s curves drawn; screenshot %s (%dx%d)\n",
		time.Since(start).Seconds(), nUpdates, first, later, nCurves, out, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

// colours counts the distinct colours of img, up to 1000.
func colours(img image.Image) int {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[r>>8<<16|g>>8<<8|bl>>8] = true
			if len(seen) >= 1000 {
				return len(seen)
			}
		}
	}
	return len(seen)
}
