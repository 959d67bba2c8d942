package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsEndpoint: --metrics, and metrics = "..." in [server], serve
// Prometheus metrics on an address of their own that count the requests
// served (by site with --config); a metrics address that is none is a
// mistake of the file.
func TestMetricsEndpoint(t *testing.T) {
	bin := buildHerald(t)
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>"})
	cfg := filepath.Join(t.TempDir(), "herald.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[server]\nmetrics = \"127.0.0.1:0\"\n[[site]]\nname = \"docs\"\nroot = %q\nlisten = [\"127.0.0.1:0\"]\n", dir)), 0o644)
	tests := []struct {
		name   string
		args   []string
		series string
	}{
		{"--metrics", []string{"serve", dir, "--addr", "127.0.0.1:0", "--metrics", "127.0.0.1:0"}, `code="200",protocol="HTTP/1.1"`},
		{"[server] metrics", []string{"serve", "--config", cfg}, `code="200",protocol="HTTP/1.1",site="docs"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := start(t, exec.Command(bin, tt.args...))
			re := regexp.MustCompile(`herald: metrics at (\S+)`)
			var at []string
			for deadline := time.Now().Add(10 * time.Second); at == nil; time.Sleep(20 * time.Millisecond) {
				if at = re.FindStringSubmatch(run.stderr.String()); at == nil && time.Now().After(deadline) {
					t.Fatalf("no metrics URL printed:\n%s", run.stderr.String())
				}
			}
			for range 3 {
				resp, err := http.Get(run.url.String())
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			resp, err := http.Get(at[1])
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			p := expfmt.NewTextParser(model.UTF8Validation)
			families, err := p.TextToMetricFamilies(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range families["herald_http_requests_total"].GetMetric() {
				var labels []string
				for _, l := range m.GetLabel() {
					labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
				}
				got = append(got, fmt.Sprintf("%s %v", strings.Join(labels, ","), m.GetCounter().GetValue()))
			}
			if want := tt.series + " 3"; len(got) != 1 || got[0] != want {
				t.Errorf("herald_http_requests_total: %q, want %q", got, want)
			}
		})
	}
	for _, metrics := range []string{"9180", "127.0.0.1:8443"} {
		os.WriteFile(cfg, []byte(fmt.Sprintf("[server]\nmetrics = %q\n[[site]]\nroot = %q\nlisten = [\":8443\"]\n", metrics, dir)), 0o644)
		if code, stdout, _ := herald(t, "config", "check", cfg); code != exitFindings || !strings.Contains(stdout, "server.metrics") {
			t.Errorf("metrics = %q: exit %d, %q: want the key reported", metrics, code, stdout)
		}
	}
}
