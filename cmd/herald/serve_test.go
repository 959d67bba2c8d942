package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestServeUsageErrors checks that mistakes in herald serve's flags and
// folder exit 2 with a message naming the mistake, before anything listens.
func TestServeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"push", []string{"serve", "--push", "always"}, `--push "always"`},
		{"hints", []string{"serve", "--hints", "maybe"}, `--hints "maybe"`},
		{"preload", []string{"serve", dir, "--preload=yes"}, `--preload "yes"`},
		{"budget size", []string{"serve", "--push-max-bytes", "lots"}, "--push-max-bytes"},
		{"budget count", []string{"serve", "--push-max-count", "-1"}, "--push-max-count"},
		{"cert without key", []string{"serve", "--cert", "c.pem"}, "--cert and --key go together"},
		{"tls with cert", []string{"serve", "--tls", "--cert", "c.pem", "--key", "k.pem"}, "--tls"},
		{"missing folder", []string{"serve", dir + "/nope"}, "does not exist"},
		{"two folders", []string{"serve", dir, dir}, "one site folder"},
		{"origin", []string{"serve", "--origin", "docs.example.com"}, "--origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"herald"}, tt.args...), &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitUsage, tt.want)
			}
		})
	}
}
