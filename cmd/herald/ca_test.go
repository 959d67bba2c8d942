package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCAPath(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := herald(t, "ca", "path", "--dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	file := strings.TrimSpace(out)
	if want := filepath.Join(dir, "ca", "rootCA.pem"); file != want {
		t.Errorf("printed %q, want %q", file, want)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
	if _, again, _ := herald(t, "ca", "path", "--dir", dir); again != out {
		t.Errorf("second call printed %q, want %q", again, out)
	}
	if code, _, _ := herald(t, "ca", "path", "extra"); code != exitUsage {
		t.Errorf("herald ca path extra: exit %d, want %d", code, exitUsage)
	}
}

// Without certutil, install says what to install and exits 1.
func TestCAInstallWithoutCertutil(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	code, _, errOut := herald(t, "ca", "install", "--system=false", "--dir", t.TempDir())
	if code != exitFindings || !strings.Contains(errOut, "libnss3-tools") {
		t.Errorf("exit %d, stderr %q: want 1 and a hint naming libnss3-tools", code, errOut)
	}
}
